import type { CheckResult } from "../checks/types.js";
import type { ClusterModel } from "../model/cluster.js";
import type { RolloutPlan } from "../plan/schema.js";
import type { StateBanner, SummaryGroups } from "./result.js";

/**
 * Facts checks publish for the banner and the summary. A check sets them in `facts`; the banner
 * only adds them up, so it never re-derives what a check decided.
 */
export interface BannerFacts {
  appServicesMeshed?: number;
  canariesMeshed?: number;
  /** Subjects of observed outages: failing probes, meshed workloads not ready, failures caused by the rollout. */
  outages?: string[];
  /** One line per failure attributed to before the rollout window. */
  preExisting?: string[];
  /** For gate checks: what the next step waits on. */
  nextStepWaitsOn?: string[];
  /** Effective mesh-wide mTLS mode, when a check derived it. */
  mtlsMode?: string;
}

function facts(check: CheckResult): BannerFacts {
  return (check.facts ?? {}) as BannerFacts;
}

/**
 * Builds the STATE line. The mTLS mode is the cluster's effective mode when a check derived it, with
 * the plan's mode beside it when they differ. Without a plan, meshed workloads are counted from the
 * model, because no check can tell app services from canaries.
 */
export function buildBanner(checks: CheckResult[], plan: RolloutPlan | undefined, model?: ClusterModel): StateBanner {
  let appServicesMeshed = 0;
  let canariesMeshed = 0;
  let counted = false;
  const outages = new Set<string>();
  const waitsOn: string[] = [];
  let observedMode: string | undefined;
  for (const check of checks) {
    const published = facts(check);
    if (published.appServicesMeshed !== undefined || published.canariesMeshed !== undefined) counted = true;
    appServicesMeshed += published.appServicesMeshed ?? 0;
    canariesMeshed += published.canariesMeshed ?? 0;
    for (const subject of published.outages ?? []) outages.add(subject);
    waitsOn.push(...(published.nextStepWaitsOn ?? []));
    observedMode ??= published.mtlsMode;
  }
  if (!counted && model) appServicesMeshed = model.meshedWorkloads().length;

  const notMeasured: string[] = [];
  const probes = checks.find((check) => check.category === "probes");
  if (probes?.verdict === "skip") notMeasured.push("HTTP probes (no recorded results in this input)");

  const current = plan?.spec.phases.current;
  const plannedMode = current?.mtls;
  return {
    mtlsMode: observedMode ?? plannedMode ?? "unknown (no plan)",
    plannedMtlsMode: observedMode && plannedMode && observedMode !== plannedMode ? plannedMode : undefined,
    phase: current ? (current.title ?? current.id) : undefined,
    appServicesMeshed,
    canariesMeshed,
    outages: outages.size,
    outageSubjects: [...outages].sort(),
    outagesBasis: "observed",
    notMeasured,
    pausedBefore: (plan?.spec.phases.next ?? []).map((phase) => phase.id),
    nextStepWaitsOn: waitsOn.length > 0 ? waitsOn : undefined,
  };
}

export function buildSummary(checks: CheckResult[], plan: RolloutPlan | undefined): SummaryGroups {
  const working: string[] = [];
  const flagged: string[] = [];
  const preExisting: string[] = [];
  for (const check of checks) {
    if (check.verdict === "pass") working.push(`${check.title}: ${check.summary}`);
    // A gate's verdict is a decision about the next phase, which the closing gates line reports.
    const flags = check.verdict === "warn" || check.verdict === "fail";
    if (flags && check.category !== "phase-gates") {
      flagged.push(`${check.verdict.toUpperCase()} ${check.title}: ${check.summary}`);
    }
    preExisting.push(...(facts(check).preExisting ?? []));
  }
  const notYetDone = (plan?.spec.phases.next ?? []).map((phase) =>
    phase.title ? `${phase.id}: ${phase.title}` : phase.id,
  );
  return { working, flagged, preExisting, notYetDone };
}
