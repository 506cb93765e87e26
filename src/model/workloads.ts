import type { ContainerStatus, KubeObject, Pod, PodSpec } from "./kube.js";
import { subjectOf } from "./kube.js";
import { INIT_CONTAINER, PROXY_CONTAINER } from "./sidecar.js";

/** Controller kinds a pod can belong to, top of the owner chain. */
export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob" | "Job" | "ReplicaSet" | "Pod";

export interface PodTemplate {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: PodSpec;
}

/** Reads the pod template a controller object declares, from the path its kind uses. */
export function podTemplateOf(object: KubeObject): PodTemplate | undefined {
  const template =
    object.kind === "CronJob"
      ? object.spec?.jobTemplate?.spec?.template
      : object.kind === "Pod"
        ? object
        : object.spec?.template;
  if (!template) return undefined;
  return {
    labels: template.metadata?.labels ?? {},
    annotations: template.metadata?.annotations ?? {},
    spec: template.spec ?? {},
  };
}

/**
 * Resolves each pod's top-level controller through owner references: Pod → ReplicaSet →
 * Deployment, Pod → Job → CronJob, Pod → StatefulSet or DaemonSet. When a ReplicaSet is missing
 * from the input, its Deployment is found by stripping the pod-template-hash suffix.
 */
export class OwnerResolver {
  /** `lookup` finds an object by kind, namespace and name, such as the cluster model's name index. */
  constructor(private readonly lookup: (kind: string, namespace: string, name: string) => KubeObject | undefined) {}

  private get(kind: string, namespace: string, name: string): KubeObject | undefined {
    return this.lookup(kind, namespace, name);
  }

  /** Finds the workload a pod belongs to: its subject, kind and controller object (absent for a bare pod). */
  resolve(pod: Pod): { subject: string; kind: WorkloadKind; namespace: string; name: string; object?: KubeObject } {
    const namespace = pod.metadata.namespace ?? "default";
    const owner =
      pod.metadata.ownerReferences?.find((reference) => reference.controller) ?? pod.metadata.ownerReferences?.[0];
    if (!owner) return this.result("Pod", namespace, pod.metadata.name, pod);

    if (owner.kind === "ReplicaSet") {
      const replicaSet = this.get("ReplicaSet", namespace, owner.name);
      const rsOwner = replicaSet?.metadata.ownerReferences?.find((reference) => reference.controller);
      if (rsOwner?.kind === "Deployment") {
        return this.result("Deployment", namespace, rsOwner.name, this.get("Deployment", namespace, rsOwner.name));
      }
      if (!replicaSet) {
        const hash = pod.metadata.labels?.["pod-template-hash"];
        if (hash && owner.name.endsWith(`-${hash}`)) {
          const deploymentName = owner.name.slice(0, -(hash.length + 1));
          const deployment = this.get("Deployment", namespace, deploymentName);
          if (deployment) return this.result("Deployment", namespace, deploymentName, deployment);
        }
      }
      return this.result("ReplicaSet", namespace, owner.name, replicaSet);
    }
    if (owner.kind === "Job") {
      const job = this.get("Job", namespace, owner.name);
      const jobOwner = job?.metadata.ownerReferences?.find((reference) => reference.controller);
      if (jobOwner?.kind === "CronJob") {
        return this.result("CronJob", namespace, jobOwner.name, this.get("CronJob", namespace, jobOwner.name));
      }
      return this.result("Job", namespace, owner.name, job);
    }
    if (owner.kind === "StatefulSet" || owner.kind === "DaemonSet") {
      return this.result(owner.kind, namespace, owner.name, this.get(owner.kind, namespace, owner.name));
    }
    return this.result("Pod", namespace, pod.metadata.name, pod);
  }

  private result(kind: WorkloadKind, namespace: string, name: string, object?: KubeObject) {
    return { subject: subjectOf(kind, namespace, name), kind, namespace, name, object };
  }
}

/** Statuses of the app's own containers: everything but the Istio proxy and its init container. */
export function appContainerStatuses(pod: Pod): ContainerStatus[] {
  return (pod.status?.containerStatuses ?? []).filter(
    (status) => status.name !== PROXY_CONTAINER && status.name !== INIT_CONTAINER,
  );
}

export function isPodReady(pod: Pod): boolean {
  const condition = pod.status?.conditions?.find((candidate) => candidate.type === "Ready");
  if (condition) return condition.status === "True";
  const statuses = pod.status?.containerStatuses ?? [];
  return pod.status?.phase === "Running" && statuses.length > 0 && statuses.every((status) => status.ready === true);
}
