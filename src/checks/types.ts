import type { ClusterModel } from "../model/cluster.js";
import type { RolloutPlan } from "../plan/schema.js";

/**
 * - pass: proven as intended.
 * - warn: a person must sign off.
 * - fail: broken, or blocks the next phase.
 * - info: a fact worth knowing that needs no action.
 * - unknown: the data should be there and could not be read.
 * - skip: not collected in this run (for example live evidence read from a snapshot), or no plan.
 * - waived: a warn, fail or unknown finding that a current waiver accepts; it no longer fails the run.
 */
export type Verdict = "pass" | "warn" | "fail" | "info" | "unknown" | "skip" | "waived";

/** Severity order used to fold finding verdicts into a check verdict; later entries win. */
export const VERDICT_ORDER: readonly Verdict[] = ["skip", "pass", "waived", "info", "warn", "unknown", "fail"];

export function worstVerdict(verdicts: Iterable<Verdict>): Verdict | undefined {
  let worst: Verdict | undefined;
  for (const verdict of verdicts) {
    if (worst === undefined || VERDICT_ORDER.indexOf(verdict) > VERDICT_ORDER.indexOf(worst)) worst = verdict;
  }
  return worst;
}

export type CheckCategory =
  | "control-plane"
  | "trust-domain"
  | "spire"
  | "native-sidecars"
  | "injection"
  | "identity"
  | "probes"
  | "external-services"
  | "policy"
  | "mtls"
  | "workload-health"
  | "phase-gates"
  | "waivers";

export const CATEGORY_TITLES: Record<CheckCategory, string> = {
  "control-plane": "Control plane",
  "trust-domain": "Trust domain",
  spire: "SPIRE identity foundation",
  "native-sidecars": "Native sidecars",
  injection: "Sidecar injection",
  identity: "Workload identity",
  probes: "Request paths",
  "external-services": "External services",
  policy: "Policy exceptions",
  mtls: "mTLS readiness",
  "workload-health": "Workload health",
  "phase-gates": "Phase gates",
  waivers: "Waivers",
};

/** How much a finding's conclusion can be trusted, from the evidence it rests on. */
export type EvidenceStrength = "strong" | "medium" | "weak";

/** A command a person would run, with the relevant excerpt of its output. */
export interface Evidence {
  command: string;
  output: string;
  /** `objects` for what the snapshot or API objects show, `live` for evidence gathered from the running cluster. */
  source: "objects" | "live";
}

export interface Finding {
  /** `Kind namespace/name`, or `Kind name` when cluster-scoped. */
  subject: string;
  verdict: Verdict;
  message: string;
  strength?: EvidenceStrength;
  /** Short names of the evidence this finding used, e.g. `pod age`, `restart count`. */
  basis?: string[];
  hint?: string;
  /** Set when a waiver turned this finding into `waived`: the verdict it had and why it is accepted. */
  waiver?: { originalVerdict: Verdict; reason: string; owner: string; expires: string; file: string };
}

export interface CheckOutcome {
  /** One line that reads like the acceptance report's Verdict line. */
  summary: string;
  findings: Finding[];
  evidence: Evidence[];
  /** Overrides the verdict folded from findings; use only where findings cannot carry it. */
  verdict?: Verdict;
  remediation?: string;
  /** Structured facts other checks, gates and renderers use, for example counts for the banner. */
  facts?: Record<string, unknown>;
}

export interface CheckContext {
  model: ClusterModel;
  /** Absent when the user gave no plan; checks that need intentions return a skip. */
  plan?: RolloutPlan;
  /** Results of the checks that ran before this one, by id: phase gates read them instead of re-deriving verdicts. */
  results?: ReadonlyMap<string, CheckResult>;
}

export interface CheckDefinition {
  /** Stable id, never reused: `MP-<AREA>-<NN>`. */
  id: string;
  category: CheckCategory;
  /** Reads as the passing state. */
  title: string;
  /** What a pass proves. */
  proves: string;
  /** The data sources read, e.g. `Deployment istio-system/istiod`, `ConfigMap istio-system/istio`. */
  reads: string[];
  /** Resources whose collection failure makes this check unknown, as CollectionIssue.resource values. */
  needs?: string[];
  /** The check needs the plan: without one it is skipped with this reason. */
  requiresPlan?: boolean;
  run(context: CheckContext): CheckOutcome;
}

export interface CheckResult {
  id: string;
  category: CheckCategory;
  title: string;
  proves: string;
  reads: string[];
  verdict: Verdict;
  summary: string;
  findings: Finding[];
  evidence: Evidence[];
  remediation?: string;
  facts?: Record<string, unknown>;
}
