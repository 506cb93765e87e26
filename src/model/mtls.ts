import type { KubeObject } from "./kube.js";
import { objectSubject } from "./kube.js";
import { isEmptySelector, matchesSelector } from "./selectors.js";

export type MtlsMode = "PERMISSIVE" | "STRICT" | "DISABLE";

export interface EffectiveMtls {
  /** The workload-wide mode. */
  mode: MtlsMode;
  /** Modes that differ per container port, from the workload policy's portLevelMtls. */
  ports: Record<number, MtlsMode>;
  mesh?: string;
  namespace?: string;
  workload?: string;
  /** Policies seen for this workload that istiod ignores, with why. */
  ignored: Array<{ subject: string; reason: string }>;
}

interface PeerAuthSpec {
  selector?: { matchLabels?: Record<string, string> };
  mtls?: { mode?: string };
  portLevelMtls?: Record<string, { mode?: string }>;
}

function specOf(policy: KubeObject): PeerAuthSpec {
  return (policy.spec ?? {}) as PeerAuthSpec;
}

function modeOf(setting: { mode?: string } | undefined): MtlsMode | undefined {
  const mode = setting?.mode;
  return mode === "STRICT" || mode === "PERMISSIVE" || mode === "DISABLE" ? mode : undefined;
}

/** Oldest creationTimestamp first, then namespace and name, as istiod orders configs. */
export function byAge(a: KubeObject, b: KubeObject): number {
  const timeA = a.metadata.creationTimestamp ?? "";
  const timeB = b.metadata.creationTimestamp ?? "";
  if (timeA !== timeB) return timeA < timeB ? -1 : 1;
  const keyA = `${a.metadata.namespace}/${a.metadata.name}`;
  const keyB = `${b.metadata.namespace}/${b.metadata.name}`;
  if (keyA === keyB) return 0;
  return keyA < keyB ? -1 : 1;
}

/**
 * Composes the effective PeerAuthentication for one workload, as istiod 1.23 does. The mesh policy
 * (root namespace, no selector) applies first, then the namespace policy, then the workload policy
 * whose selector matches. The oldest wins within a level, and an UNSET or absent mode inherits.
 * portLevelMtls counts only on the workload policy, keyed by container port. A selector policy in
 * the root namespace is ignored.
 *
 * `policies` are the PeerAuthentications of the root namespace and the workload's namespace (others
 * are ignored, so passing all is safe).
 */
export function composePeerAuthentication(
  policies: readonly KubeObject[],
  rootNamespace: string,
  namespace: string,
  podLabels: Record<string, string>,
): EffectiveMtls {
  const sorted = policies
    .filter((policy) => policy.metadata.namespace === rootNamespace || policy.metadata.namespace === namespace)
    .sort(byAge);

  let meshPolicy: KubeObject | undefined;
  let namespacePolicy: KubeObject | undefined;
  let workloadPolicy: KubeObject | undefined;
  const ignored: EffectiveMtls["ignored"] = [];

  for (const policy of sorted) {
    const spec = specOf(policy);
    const inRoot = policy.metadata.namespace === rootNamespace;
    const subject = objectSubject(policy);
    if (isEmptySelector(spec.selector)) {
      if (inRoot) {
        if (!meshPolicy) meshPolicy = policy;
        else ignored.push({ subject, reason: `an older mesh-wide policy (${objectSubject(meshPolicy)}) wins` });
      } else if (!namespacePolicy) {
        namespacePolicy = policy;
      } else {
        ignored.push({ subject, reason: `an older namespace-wide policy (${objectSubject(namespacePolicy)}) wins` });
      }
      continue;
    }
    if (!matchesSelector(spec.selector, podLabels)) continue;
    if (inRoot && policy.metadata.namespace !== namespace) {
      ignored.push({ subject, reason: "a policy with a selector in the root namespace applies to nothing" });
      continue;
    }
    if (!workloadPolicy) workloadPolicy = policy;
    else ignored.push({ subject, reason: `an older workload policy (${objectSubject(workloadPolicy)}) wins` });
  }

  let mode: MtlsMode = "PERMISSIVE";
  for (const policy of [meshPolicy, namespacePolicy, workloadPolicy]) {
    const policyMode = policy ? modeOf(specOf(policy).mtls) : undefined;
    if (policyMode) mode = policyMode;
  }

  const ports: Record<number, MtlsMode> = {};
  if (workloadPolicy) {
    for (const [port, setting] of Object.entries(specOf(workloadPolicy).portLevelMtls ?? {})) {
      const portMode = modeOf(setting);
      const portNumber = Number(port);
      if (portMode && Number.isInteger(portNumber)) ports[portNumber] = portMode;
    }
  }

  for (const policy of [meshPolicy, namespacePolicy]) {
    if (policy && Object.keys(specOf(policy).portLevelMtls ?? {}).length > 0) {
      ignored.push({
        subject: objectSubject(policy),
        reason: "portLevelMtls is ignored on a policy without a selector",
      });
    }
  }

  return {
    mode,
    ports,
    mesh: meshPolicy && objectSubject(meshPolicy),
    namespace: namespacePolicy && objectSubject(namespacePolicy),
    workload: workloadPolicy && objectSubject(workloadPolicy),
    ignored,
  };
}

/** Returns the mode on one container port: a port-level setting, else the workload mode. */
export function modeOnPort(effective: EffectiveMtls, port: number): MtlsMode {
  return effective.ports[port] ?? effective.mode;
}
