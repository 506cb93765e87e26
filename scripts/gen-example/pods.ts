/** Pods with the spec defaults and status the API server and kubelet fill in. */

import type { Doc, Labels } from "./common.js";
import { addSeconds, allocatePodIp, imageId, NODES, nameSuffix, sha256 } from "./common.js";
import type { MeshMode } from "./injection.js";
import { injectSidecar } from "./injection.js";
import type { Owner } from "./objects.js";
import { objectMeta } from "./objects.js";

// ---------------------------------------------------------------------------------------------
// Pods

export const defaultTolerations: Doc[] = [
  { effect: "NoExecute", key: "node.kubernetes.io/not-ready", operator: "Exists", tolerationSeconds: 300 },
  { effect: "NoExecute", key: "node.kubernetes.io/unreachable", operator: "Exists", tolerationSeconds: 300 },
];

export const daemonSetTolerations: Doc[] = [
  { effect: "NoExecute", key: "node.kubernetes.io/not-ready", operator: "Exists" },
  { effect: "NoExecute", key: "node.kubernetes.io/unreachable", operator: "Exists" },
  { effect: "NoSchedule", key: "node.kubernetes.io/disk-pressure", operator: "Exists" },
  { effect: "NoSchedule", key: "node.kubernetes.io/memory-pressure", operator: "Exists" },
  { effect: "NoSchedule", key: "node.kubernetes.io/pid-pressure", operator: "Exists" },
  { effect: "NoSchedule", key: "node.kubernetes.io/unschedulable", operator: "Exists" },
];

export const PRIORITY_BY_CLASS: Record<string, number> = {
  "system-cluster-critical": 2000000000,
  "system-node-critical": 2000001000,
};

export interface PodSpecInput {
  containers: Doc[];
  initContainers?: Doc[];
  volumes?: Doc[];
  serviceAccountName?: string;
  hostNetwork?: boolean;
  restartPolicy?: string;
  securityContext?: Doc;
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  priorityClassName?: string;
  dnsPolicy?: string;
  nodeSelector?: Labels;
}

/** Builds a pod template spec with the fields the API server defaults inside a workload template. */
export function templateSpec(input: PodSpecInput): Doc {
  return {
    automountServiceAccountToken: input.automountServiceAccountToken,
    containers: input.containers,
    dnsPolicy: input.dnsPolicy ?? "ClusterFirst",
    // The API server omits a false hostNetwork, so only true is written.
    hostNetwork: input.hostNetwork === true ? true : undefined,
    initContainers: input.initContainers,
    nodeSelector: input.nodeSelector,
    priorityClassName: input.priorityClassName,
    restartPolicy: input.restartPolicy ?? "Always",
    schedulerName: "default-scheduler",
    securityContext: input.securityContext ?? {},
    serviceAccount: input.serviceAccountName,
    serviceAccountName: input.serviceAccountName,
    terminationGracePeriodSeconds: input.terminationGracePeriodSeconds ?? 30,
    volumes: input.volumes,
  };
}

export function kubeApiAccessVolume(name: string): Doc {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { items: [{ key: "ca.crt", path: "ca.crt" }], name: "kube-root-ca.crt" } },
        {
          downwardAPI: {
            items: [{ fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" }, path: "namespace" }],
          },
        },
      ],
    },
  };
}

export interface ContainerRun {
  /** Seconds after pod creation at which the current instance started. */
  startedAfter?: number;
  startedAt?: string;
  restartCount?: number;
  ready?: boolean;
  lastState?: Doc;
  terminated?: Doc;
}

export interface PodInput {
  name: string;
  namespace: string;
  created: string;
  nodeName: string;
  labels: Labels;
  annotations?: Labels;
  owner: Owner;
  template: Doc;
  mesh?: MeshMode;
  meshWorkload?: Owner;
  /** Overrides per container name. */
  runs?: Record<string, ContainerRun>;
  phase?: "Running" | "Succeeded";
  /** Volumes placed before the template's own, such as a StatefulSet's claims. */
  leadingVolumes?: Doc[];
  extraSpec?: Doc;
}

export function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

export function containerStatus(
  podInput: PodInput,
  podUid: string,
  spec: Doc,
  run: ContainerRun,
  isInit: boolean,
): Doc {
  const name = spec.name as string;
  const image = spec.image as string;
  const startedAt = run.startedAt ?? addSeconds(podInput.created, run.startedAfter ?? (isInit ? 2 : 6));
  const terminated = run.terminated;
  // The kubelet reports an init container that exited 0 as ready, but never a finished app container.
  const ready = terminated ? isInit && terminated.exitCode === 0 : (run.ready ?? true);
  return {
    containerID: `containerd://${sha256(`container:${podUid}/${name}`)}`,
    image,
    imageID: imageId(image),
    lastState: run.lastState ?? {},
    name,
    ready,
    restartCount: run.restartCount ?? 0,
    started: !terminated,
    state: terminated ? { terminated } : { running: { startedAt } },
  };
}

export function buildPod(input: PodInput): Doc {
  const spec = deepCopy(input.template.spec as Doc);
  const templateMeta = input.template.metadata as Doc;
  const metadata = objectMeta("Pod", {
    name: input.name,
    namespace: input.namespace,
    created: input.created,
    labels: { ...input.labels },
    annotations: { ...((templateMeta.annotations as Labels | undefined) ?? {}), ...(input.annotations ?? {}) },
    owner: input.owner,
    generateName: input.owner.kind === "StatefulSet" ? undefined : input.name.replace(/[a-z0-9]+$/, ""),
  });
  const pod: Doc = { apiVersion: "v1", kind: "Pod", metadata, spec };
  if (input.leadingVolumes) spec.volumes = [...input.leadingVolumes, ...((spec.volumes as Doc[] | undefined) ?? [])];

  // The ServiceAccount admission plugin runs before the webhooks, so only the app containers get
  // the token mount and the injected istio containers do not.
  const apiVolume = `kube-api-access-${nameSuffix(`api:${input.namespace}/${input.name}`, 5)}`;
  if (spec.automountServiceAccountToken !== false) {
    for (const entry of [...((spec.initContainers as Doc[] | undefined) ?? []), ...(spec.containers as Doc[])]) {
      entry.volumeMounts = [
        ...((entry.volumeMounts as Doc[] | undefined) ?? []),
        { mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", name: apiVolume, readOnly: true },
      ];
    }
    spec.volumes = [...((spec.volumes as Doc[] | undefined) ?? []), kubeApiAccessVolume(apiVolume)];
  }
  if (input.mesh) injectSidecar(pod, input.mesh, input.meshWorkload ?? input.owner);

  const serviceAccountName = (spec.serviceAccountName as string | undefined) ?? "default";
  Object.assign(spec, {
    enableServiceLinks: true,
    nodeName: input.nodeName,
    preemptionPolicy: "PreemptLowerPriority",
    priority: PRIORITY_BY_CLASS[(spec.priorityClassName as string | undefined) ?? ""] ?? 0,
    serviceAccount: serviceAccountName,
    serviceAccountName,
    tolerations: input.owner.kind === "DaemonSet" ? daemonSetTolerations : defaultTolerations,
    ...(input.extraSpec ?? {}),
  });

  const host = NODES.find((candidate) => candidate.name === input.nodeName);
  if (!host) throw new Error(`node ${input.nodeName} not found in NODES`);
  const podIp = spec.hostNetwork ? host.internalIp : allocatePodIp(input.nodeName);
  const podUid = metadata.uid as string;
  const runs = input.runs ?? {};
  const initSpecs = (spec.initContainers as Doc[] | undefined) ?? [];
  const initStatuses = initSpecs.map((init, index) => {
    const name = init.name as string;
    if (init.restartPolicy === "Always") {
      return containerStatus(input, podUid, init, { startedAfter: 2, ...runs[name] }, true);
    }
    const startedAt = addSeconds(input.created, 1 + index);
    return containerStatus(
      input,
      podUid,
      init,
      {
        terminated: {
          containerID: `containerd://${sha256(`container:${podUid}/${name}`)}`,
          exitCode: 0,
          finishedAt: addSeconds(startedAt, 1),
          reason: "Completed",
          startedAt,
        },
        ...runs[name],
      },
      true,
    );
  });
  const containerStatuses = (spec.containers as Doc[])
    .map((entry) => containerStatus(input, podUid, entry, runs[entry.name as string] ?? {}, false))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));

  const phase = input.phase ?? "Running";
  const allReady = phase === "Running" && containerStatuses.every((entry) => entry.ready === true);
  const readyAt = addSeconds(input.created, 14);
  const condition = (type: string, status: boolean, at: string, reason?: string): Doc => ({
    lastProbeTime: null,
    lastTransitionTime: at,
    reason,
    status: status ? "True" : "False",
    type,
  });
  const completed = phase === "Succeeded" ? "PodCompleted" : undefined;
  pod.status = {
    conditions: [
      condition("PodReadyToStartContainers", phase === "Running", addSeconds(input.created, 2)),
      condition("Initialized", true, addSeconds(input.created, initSpecs.length > 0 ? 4 : 1), completed),
      condition("Ready", allReady, latestReadyTime(containerStatuses, readyAt), completed),
      condition("ContainersReady", allReady, latestReadyTime(containerStatuses, readyAt), completed),
      condition("PodScheduled", true, input.created),
    ],
    containerStatuses,
    hostIP: host.internalIp,
    hostIPs: [{ ip: host.internalIp }],
    initContainerStatuses: initStatuses.length > 0 ? initStatuses : undefined,
    phase,
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    qosClass: qosClass(spec),
    startTime: input.created,
  };
  return pod;
}

/** Returns BestEffort when no container sets requests or limits, else Burstable. The example has no Guaranteed pod. */
export function qosClass(spec: Doc): string {
  const all = [...((spec.initContainers as Doc[] | undefined) ?? []), ...(spec.containers as Doc[])];
  const hasResources = all.some((entry) => Object.keys((entry.resources as Doc | undefined) ?? {}).length > 0);
  return hasResources ? "Burstable" : "BestEffort";
}

/** Returns when the pod became Ready: after its latest container start, which is recent for a restarted container. */
export function latestReadyTime(statuses: Doc[], fallback: string): string {
  let latest = fallback;
  for (const entry of statuses) {
    const running = (entry.state as Doc).running as Doc | undefined;
    const startedAt = running?.startedAt as string | undefined;
    if (startedAt && startedAt > latest) latest = addSeconds(startedAt, 1);
  }
  return latest;
}
