import { gateChecksFor } from "../checks/gates.js";
import { ALL_CHECKS } from "../checks/registry.js";
import {
  CATEGORY_TITLES,
  type CheckCategory,
  type CheckDefinition,
  type CheckResult,
  type Finding,
  type Verdict,
  worstVerdict,
} from "../checks/types.js";
import type { CollectedState } from "../collect/types.js";
import { buildModel, type ClusterModel } from "../model/cluster.js";
import type { RolloutPlan } from "../plan/schema.js";
import { TOOL_VERSION } from "../version.js";
import { buildBanner, buildSummary } from "./banner.js";
import { buildInventory } from "./inventory.js";
import { gateDecision, RUN_RESULT_FORMAT, type RunResult } from "./result.js";
import { WaiverApplier, type WaiverSet } from "./waivers.js";

export interface RunOptions {
  state: CollectedState;
  plan?: RolloutPlan;
  planFile?: string;
  /** Defaults to every registered check plus one gate per next phase of the plan. */
  checks?: readonly CheckDefinition[];
  /** Fixes `generatedAt`, for reproducible output in tests. */
  generatedAt?: string;
  waivers?: WaiverSet;
  /** The wall clock waivers expire against; defaults to now. */
  clock?: Date;
}

/** Builds the model once, runs every check against it and assembles the versioned run result. */
export function runVerification(options: RunOptions): { result: RunResult; model: ClusterModel } {
  const model = buildModel(options.state, options.plan);
  const results = new Map<string, CheckResult>();
  const definitions = options.checks ?? [...ALL_CHECKS, ...gateChecksFor(options.plan)];
  const waivers = options.waivers ? new WaiverApplier(options.waivers, options.clock ?? new Date()) : undefined;
  const checks = definitions.map((check) => {
    const ran = runCheck(check, model, options.plan, results);
    const result = waivers ? waivers.apply(ran) : ran;
    results.set(result.id, result);
    return result;
  });
  if (waivers) checks.push(waivers.report());

  const categoryOrder = Object.keys(CATEGORY_TITLES) as CheckCategory[];
  const present = new Set(checks.map((check) => check.category));
  // Gates judge the next phase, not the cluster now, so they are counted apart from the checks.
  const counts: Record<Verdict, number> = { pass: 0, warn: 0, fail: 0, info: 0, unknown: 0, skip: 0, waived: 0 };
  for (const check of checks) if (check.category !== "phase-gates") counts[check.verdict]++;
  const gates = checks
    .filter((check) => check.category === "phase-gates")
    .map((check) => ({ checkId: check.id, phase: check.id.replace(/^MP-GATE-/, ""), decision: gateDecision(check) }));

  const result: RunResult = {
    format: RUN_RESULT_FORMAT,
    tool: { name: "meshproof", version: TOOL_VERSION },
    generatedAt: options.generatedAt ?? new Date().toISOString(),
    cluster: {
      name: options.plan?.spec.cluster.name,
      source: options.state.source.description,
      sourceType: options.state.source.type,
      capturedAt: model.now.toISOString(),
      capturedAtSource: model.nowSource,
      kubernetesVersion: model.kubernetesVersion?.gitVersion,
    },
    plan: options.plan ? { name: options.plan.metadata.name, file: options.planFile ?? "" } : undefined,
    banner: buildBanner(checks, options.plan, model),
    summary: buildSummary(checks, options.plan),
    counts,
    gates,
    mesh: buildInventory(model),
    categories: categoryOrder.filter((category) => present.has(category)),
    checks,
    input: options.state.input,
    collectionIssues: [...options.state.collectionIssues],
  };
  return { result, model };
}

/**
 * Runs one check. Missing plan, missing data and a check's own exception each give a result
 * instead of stopping the run, so one failure marks only the checks it affects.
 */
export function runCheck(
  check: CheckDefinition,
  model: ClusterModel,
  plan: RolloutPlan | undefined,
  results: ReadonlyMap<string, CheckResult> = new Map(),
): CheckResult {
  const base = {
    id: check.id,
    category: check.category,
    title: check.title,
    proves: check.proves,
    reads: check.reads,
  };

  if (check.requiresPlan && !plan) {
    return {
      ...base,
      verdict: "skip",
      summary:
        "Skipped: this check compares the cluster with the rollout plan, and no plan was given (pass --plan FILE).",
      findings: [],
      evidence: [],
    };
  }

  const missing = (check.needs ?? []).flatMap((resource) => model.issuesFor(resource));
  if (missing.length > 0) {
    const findings: Finding[] = missing.map((issue) => ({
      subject: `Resource ${issue.resource}`,
      verdict: "unknown",
      message: `${issue.resource} could not be read (${issue.reason}): ${issue.message}${issue.permission ? `. Missing permission: ${issue.permission}` : ""}`,
      hint: issue.permission
        ? `Grant "${issue.permission}" to the identity meshproof runs as (see deploy/rbac.yaml).`
        : undefined,
    }));
    return {
      ...base,
      verdict: "unknown",
      summary: `Unknown: ${missing.map((issue) => `${issue.resource} ${issue.reason}${issue.permission ? ` (needs ${issue.permission})` : ""}`).join(", ")}.`,
      findings,
      evidence: [],
    };
  }

  try {
    const outcome = check.run({ model, plan, results });
    const verdict = outcome.verdict ?? worstVerdict(outcome.findings.map((finding) => finding.verdict)) ?? "unknown";
    return {
      ...base,
      verdict,
      summary: outcome.summary,
      findings: outcome.findings,
      evidence: outcome.evidence,
      remediation: outcome.remediation,
      facts: outcome.facts,
    };
  } catch (error) {
    return {
      ...base,
      verdict: "unknown",
      summary: `Unknown: the check failed with an internal error: ${(error as Error).message}`,
      findings: [],
      evidence: [],
    };
  }
}
