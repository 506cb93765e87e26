import type { ClusterModel } from "../model/cluster.js";
import type { KubeObject } from "../model/kube.js";
import { objectSubject } from "../model/kube.js";

/** Meshed workloads, mesh policies and probe results: the state a diff compares across a window. */
export interface MeshInventory {
  /** Workloads with at least one sidecar in either run, by subject. */
  workloads: Record<string, { sidecar: string; podsMeshed: number; pods: number; ready: boolean }>;
  /** Istio policy objects by subject, each with its spec as canonical JSON. */
  policies: Record<string, string>;
  /** Recorded HTTP probe results by probe name. */
  probes: Record<string, { url: string; expectedStatus: number; status?: number; error?: string }>;
}

const POLICY_KINDS = ["PeerAuthentication", "AuthorizationPolicy", "DestinationRule", "ServiceEntry", "Sidecar"];

function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** JSON with object keys sorted, so equal specs compare equal whatever the key order in the input. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, item) =>
    item && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(byKey))
      : item,
  );
}

export function buildInventory(model: ClusterModel): MeshInventory {
  const workloads: MeshInventory["workloads"] = {};
  for (const workload of model.workloads) {
    const podsMeshed = workload.pods.filter((pod) => pod.sidecar.kind !== "none").length;
    if (podsMeshed === 0 && !workload.pods.some((pod) => pod.sidecar.injectedAnnotation)) continue;
    workloads[workload.subject] = {
      sidecar: workload.sidecarKind,
      podsMeshed,
      pods: workload.pods.length,
      ready: workload.pods.length > 0 && workload.pods.every((pod) => pod.ready),
    };
  }

  const policies: MeshInventory["policies"] = {};
  for (const kind of POLICY_KINDS) {
    for (const object of model.list(kind) as KubeObject[])
      policies[objectSubject(object)] = canonicalJson(object.spec ?? {});
  }

  const probes: MeshInventory["probes"] = {};
  for (const item of model.evidence) {
    if (item.type !== "http-probe") continue;
    probes[item.probe] = {
      url: item.url,
      expectedStatus: item.expectedStatus,
      status: item.status,
      error: item.error?.message,
    };
  }
  return { workloads, policies, probes };
}
