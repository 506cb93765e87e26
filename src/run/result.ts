import type { CheckCategory, CheckResult, Verdict } from "../checks/types.js";
import type { CollectionIssue, InputReport } from "../collect/types.js";
import type { MeshInventory } from "./inventory.js";

/** Version tag of the JSON run result; bump on any incompatible change. */
export const RUN_RESULT_FORMAT = "meshproof.dev/run-result/v1";

export interface StateBanner {
  /** Current mesh-wide mTLS mode from the plan, or the effective mode seen when there is no plan. */
  mtlsMode: string;
  phase?: string;
  appServicesMeshed: number;
  canariesMeshed: number;
  /**
   * Outage count. With a pre-window baseline it counts what is broken now and was not then. Without
   * one it counts what this run observes: failing probes, meshed workloads not ready, failures caused by the rollout.
   */
  outages: number;
  outageSubjects: string[];
  /** `baseline` when outages come from a diff against a baseline, `observed` otherwise (not measured against a baseline). */
  outagesBasis: "baseline" | "observed";
  /** The baseline the outages were measured against. */
  baseline?: string;
  /** Outage sources this run could not measure, e.g. HTTP probes on a snapshot without recorded results. */
  notMeasured: string[];
  /** The plan's mTLS mode when the cluster's effective mode differs from it. */
  plannedMtlsMode?: string;
  /** The plan's next phases, in order: what is paused. */
  pausedBefore: string[];
  /** Blocking gate findings the next step waits on, when gates ran. */
  nextStepWaitsOn?: string[];
}

export interface SummaryGroups {
  working: string[];
  flagged: string[];
  preExisting: string[];
  notYetDone: string[];
}

export interface RunResult {
  format: typeof RUN_RESULT_FORMAT;
  tool: { name: "meshproof"; version: string };
  generatedAt: string;
  cluster: {
    name?: string;
    source: string;
    sourceType: "files" | "snapshot" | "live";
    capturedAt?: string;
    capturedAtSource?: string;
    kubernetesVersion?: string;
  };
  plan?: { name: string; file: string };
  banner: StateBanner;
  summary: SummaryGroups;
  /** Verdicts of the checks of the cluster as it is now; phase gates are counted in `gates`. */
  counts: Record<Verdict, number>;
  /** One decision per next phase of the plan. A NO-GO does not make `verify` fail. */
  gates: Array<{ checkId: string; phase: string; decision: GateDecision }>;
  categories: CheckCategory[];
  checks: CheckResult[];
  /** Meshed workloads and mesh policies, for diffs across a window. */
  mesh: MeshInventory;
  input: InputReport;
  collectionIssues: CollectionIssue[];
}

export type GateDecision = "GO" | "NO-GO" | "UNDECIDED" | "SKIPPED";

/** Maps a gate check's verdict to its decision: only pass is GO, and anything unsettled is UNDECIDED. */
export function gateDecision(check: CheckResult): GateDecision {
  if (check.verdict === "pass") return "GO";
  if (check.verdict === "fail") return "NO-GO";
  if (check.verdict === "skip") return "SKIPPED";
  return "UNDECIDED";
}
