import type { ClusterModel, PodView, WorkloadView } from "../../model/cluster.js";
import type { KubeObject } from "../../model/kube.js";
import { type EffectiveMtls, type MtlsMode, modeOnPort } from "../../model/mtls.js";
import { isEmptySelector } from "../../model/selectors.js";
import { inboundPorts, representativePods, serviceIndexOf, uncapturedPorts } from "./ports.js";

/**
 * Creation time of the hypothetical policies. istiod lets the oldest policy win within a level, so
 * an epoch timestamp makes each hypothetical policy win over a real one of the same level, as
 * editing that policy in place would.
 */
const HYPOTHETICAL_CREATED = "1970-01-01T00:00:00Z";

function hypotheticalStrict(namespace: string, name: string): KubeObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: {
      name,
      namespace,
      creationTimestamp: HYPOTHETICAL_CREATED,
    },
    spec: { mtls: { mode: "STRICT" } },
  };
}

function modeOf(policy: KubeObject): string | undefined {
  return (policy.spec?.mtls as { mode?: string } | undefined)?.mode;
}

/** Finds the namespace-wide PeerAuthentications outside the root namespace whose PERMISSIVE or DISABLE mode beats a mesh-wide STRICT. */
export function namespaceOverrides(model: ClusterModel): KubeObject[] {
  const root = model.mesh.rootNamespace;
  return model.list("PeerAuthentication").filter((policy) => {
    const mode = modeOf(policy);
    return (
      policy.metadata.namespace !== root &&
      isEmptySelector(policy.spec?.selector) &&
      (mode === "PERMISSIVE" || mode === "DISABLE")
    );
  });
}

/**
 * Builds the policies of the STRICT flip as the strict phase means it. The flip adds
 * `PeerAuthentication default` in the root namespace with mode STRICT. It also sets each
 * namespace-wide PERMISSIVE or DISABLE policy to STRICT, because istiod applies a namespace policy
 * over the mesh policy, so the flip would not reach that namespace otherwise (MP-MTLS-02 warns
 * about each). Workload-level exceptions (policies with a selector, and their portLevelMtls) stay.
 */
export function strictFlipPolicies(model: ClusterModel): KubeObject[] {
  return [
    hypotheticalStrict(model.mesh.rootNamespace, "default"),
    ...namespaceOverrides(model).map((policy) =>
      hypotheticalStrict(policy.metadata.namespace ?? "default", policy.metadata.name),
    ),
  ];
}

export interface PortMode {
  port: number;
  today: MtlsMode;
  after: MtlsMode;
  /** False when the pod's traffic annotations leave the port uncaptured, so no PeerAuthentication applies. */
  captured: boolean;
}

export interface WorkloadMtls {
  workload: WorkloadView;
  /** The pod the modes were computed for: the first one with a sidecar. */
  pod: PodView;
  meshed: boolean;
  today: EffectiveMtls;
  after: EffectiveMtls;
  ports: PortMode[];
  /** Pods of the workload whose effective mode differs from `pod`'s, e.g. after a label change. */
  divergentPods: string[];
}

/** Today's effective mode and the mode after the STRICT flip for every workload with pods. */
export class MtlsAnalysis {
  readonly workloads: WorkloadMtls[] = [];
  private readonly bySubject = new Map<string, WorkloadMtls>();
  readonly flipPolicies: KubeObject[];

  constructor(model: ClusterModel) {
    this.flipPolicies = strictFlipPolicies(model);
    const index = serviceIndexOf(model);
    for (const workload of model.workloads) {
      const pods = representativePods(workload);
      const pod = pods[0];
      if (!pod) continue;
      const today = model.effectiveMtls(pod);
      const after = model.composeMtls(pod.namespace, pod.labels, this.flipPolicies);
      const listed = inboundPorts(index, workload);
      const uncaptured = new Set(uncapturedPorts(pod, listed));
      const ports = listed.map((port) => ({
        port,
        today: modeOnPort(today, port),
        after: modeOnPort(after, port),
        captured: !uncaptured.has(port),
      }));
      const signature = modeSignature(today);
      const divergentPods = pods
        .slice(1)
        .filter((other) => modeSignature(model.effectiveMtls(other)) !== signature)
        .map((other) => other.subject);
      const entry: WorkloadMtls = { workload, pod, meshed: workload.meshed, today, after, ports, divergentPods };
      this.workloads.push(entry);
      this.bySubject.set(workload.subject, entry);
    }
  }

  of(subject: string): WorkloadMtls | undefined {
    return this.bySubject.get(subject);
  }

  meshed(): WorkloadMtls[] {
    return this.workloads.filter((entry) => entry.meshed);
  }

  /** Returns the mode of one port today and after the flip. A port the workload does not list takes the workload mode. */
  portMode(subject: string, port: number | undefined): PortMode | undefined {
    const entry = this.of(subject);
    if (!entry || port === undefined) return undefined;
    const listed = entry.ports.find((candidate) => candidate.port === port);
    if (listed) return listed;
    const uncaptured = uncapturedPorts(entry.pod, [port]);
    return {
      port,
      today: modeOnPort(entry.today, port),
      after: modeOnPort(entry.after, port),
      captured: uncaptured.length === 0,
    };
  }
}

function modeSignature(effective: EffectiveMtls): string {
  return `${effective.mode} ${JSON.stringify(effective.ports)}`;
}

const analyses = new WeakMap<ClusterModel, MtlsAnalysis>();

/** Returns the mTLS analysis of a model, computed on first use and shared by the checks and the gates. */
export function mtlsAnalysisOf(model: ClusterModel): MtlsAnalysis {
  let analysis = analyses.get(model);
  if (!analysis) {
    analysis = new MtlsAnalysis(model);
    analyses.set(model, analysis);
  }
  return analysis;
}
