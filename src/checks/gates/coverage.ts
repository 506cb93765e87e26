import type { ClusterModel, WorkloadView } from "../../model/cluster.js";
import { clusterSpiffeIdCovers } from "../spire.js";
import type { Verdict } from "../types.js";

/** Labels the API server or a controller sets on each pod, never the injector. */
const PER_POD_LABELS = [
  "pod-template-hash",
  "controller-revision-hash",
  "statefulset.kubernetes.io/pod-name",
  "apps.kubernetes.io/pod-index",
  "job-name",
  "controller-uid",
  "batch.kubernetes.io/job-name",
  "batch.kubernetes.io/controller-uid",
];

const addedLabelsCache = new WeakMap<ClusterModel, Record<string, string>>();

/**
 * Labels a pod gains from injection: `security.istio.io/tlsMode: istio`, plus every label that all
 * meshed pods carry with one value while their templates lack it (for example a label the spire
 * injection template adds). A ClusterSPIFFEID may select on them, so coverage of a pod that is not
 * meshed yet must count them.
 */
export function injectionAddedLabels(model: ClusterModel): Record<string, string> {
  const cached = addedLabelsCache.get(model);
  if (cached) return cached;

  let common: Map<string, string> | undefined;
  for (const workload of model.meshedWorkloads()) {
    if (!workload.template) continue;
    for (const pod of workload.pods) {
      if (pod.sidecar.kind === "none") continue;
      const added = new Map(
        Object.entries(pod.labels).filter(
          ([key]) =>
            !(key in workload.template!.labels) &&
            !PER_POD_LABELS.includes(key) &&
            !key.startsWith("service.istio.io/canonical-"),
        ),
      );
      if (!common) {
        common = added;
      } else {
        for (const [key, value] of common) if (added.get(key) !== value) common.delete(key);
      }
    }
  }
  const labels = { ...Object.fromEntries(common ?? []), "security.istio.io/tlsMode": "istio" };
  addedLabelsCache.set(model, labels);
  return labels;
}

/** Returns the labels a workload's pods would carry once injected: the template's, without the opt-out label, plus the injector's. */
export function labelsOnceInjected(model: ClusterModel, workload: WorkloadView): Record<string, string> {
  const base = { ...(workload.template?.labels ?? workload.pods[0]?.labels ?? {}) };
  delete base["sidecar.istio.io/inject"];
  return {
    ...base,
    ...injectionAddedLabels(model),
    "service.istio.io/canonical-name": base["app.kubernetes.io/name"] ?? base.app ?? workload.name,
    "service.istio.io/canonical-revision": base["app.kubernetes.io/version"] ?? base.version ?? "latest",
  };
}

export interface SpireCoverage {
  /** `ClusterSPIFFEID <name>` that would register the pods; undefined when none would. */
  coveredBy?: string;
  /** SPIRE runs in the cluster (server or agent found), so a missing registration matters. */
  spireDeployed: boolean;
  sentence: string;
}

/** Judges whether SPIRE registration would cover a workload's pods once injected, with one sentence for messages. */
export function spireCoverageOf(model: ClusterModel, workload: WorkloadView): SpireCoverage {
  const spireDeployed =
    model.spire.server !== undefined || model.spire.agent !== undefined || model.spire.clusterSpiffeIds.length > 0;
  const coveredBy = clusterSpiffeIdCovers(model, workload.namespace, labelsOnceInjected(model, workload));
  const sentence = coveredBy
    ? `Its namespace ${workload.namespace} is covered by SPIRE registration: ${coveredBy} selects its pods once injected.`
    : spireDeployed
      ? `Its namespace ${workload.namespace} is not covered by SPIRE registration: no ClusterSPIFFEID selects its pods, even once injected, so its sidecar would never get an SVID.`
      : "SPIRE is not in the input, so registration coverage was not judged.";
  return { coveredBy, spireDeployed, sentence };
}

/** Maps coverage to a gate verdict: pass when registered, fail when SPIRE runs but would not register the pods, info without SPIRE. */
export function coverageVerdict(coverage: SpireCoverage): Verdict {
  if (coverage.coveredBy) return "pass";
  return coverage.spireDeployed ? "fail" : "info";
}
