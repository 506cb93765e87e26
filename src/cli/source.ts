import type { CollectedState } from "../collect/types.js";
import { UserError } from "../errors.js";
import type { RolloutPlan } from "../plan/schema.js";

export interface SourceOptions {
  snapshot?: string;
  kubeconfig?: string;
  context?: string;
  inCluster?: true;
  requestTimeout: number;
  plan?: string;
  /** Prometheus base URL: its Istio telemetry is collected with the state, so snapshots keep it. */
  prometheus?: string;
  prometheusWindow?: string;
}

/** Loads the plan, when one is given. */
export async function loadPlanOption(options: SourceOptions): Promise<RolloutPlan | undefined> {
  if (!options.plan) return undefined;
  const { loadPlan } = await import("../plan/load.js");
  return loadPlan(options.plan);
}

/**
 * Reads the cluster state from a snapshot or a live cluster, whichever the options name. Both
 * sources mask credentials the same way, so their verdicts agree.
 */
export async function collectState(options: SourceOptions, plan: RolloutPlan | undefined): Promise<CollectedState> {
  const state = await collectObjects(options, plan);
  if (options.prometheus) {
    const { addTelemetryEvidence } = await import("../telemetry/queries.js");
    await addTelemetryEvidence(state, { prometheus: options.prometheus, prometheusWindow: options.prometheusWindow });
  }
  return state;
}

async function collectObjects(options: SourceOptions, plan: RolloutPlan | undefined): Promise<CollectedState> {
  const live = options.kubeconfig !== undefined || options.context !== undefined || options.inCluster === true;
  if (options.snapshot && live) {
    throw new UserError(
      "--snapshot cannot be combined with --kubeconfig, --context or --in-cluster: choose a snapshot or a live cluster.",
    );
  }
  if (options.snapshot) {
    const { readSnapshot } = await import("../collect/snapshot/read.js");
    return readSnapshot(options.snapshot);
  }
  const { collectLive } = await import("../collect/live/collect.js");
  return collectLive({
    kubeconfig: options.kubeconfig,
    context: options.context,
    inCluster: options.inCluster === true,
    requestTimeoutMs: options.requestTimeout * 1000,
    plan,
  });
}
