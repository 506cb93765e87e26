import { type CollectedState, emptyInputReport, SNAPSHOT_FORMAT } from "../../src/collect/types.js";
import { buildModel, type ClusterModel } from "../../src/model/cluster.js";
import type { Container, ContainerStatus, KubeObject, Pod } from "../../src/model/kube.js";
import { planSchema, type RolloutPlan } from "../../src/plan/schema.js";

/** Small builders for check fixtures: each returns a plain object as kubectl would print it. */

let uidCounter = 0;
const uid = () => `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, "0")}`;

export const WINDOW_START = "2026-06-28T18:00:00Z";
export const CAPTURED_AT = "2026-06-28T21:40:00Z";

export function namespace(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, uid: uid(), labels: { "kubernetes.io/metadata.name": name, ...labels } },
  };
}

export function node(name: string, kubeletVersion = "v1.36.1"): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, uid: uid() },
    status: { nodeInfo: { kubeletVersion }, conditions: [{ type: "Ready", status: "True" }] },
  };
}

export type SidecarStyle = "native" | "classic" | "none";

export interface PodOptions {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  sidecar?: SidecarStyle;
  /** Owner: `ReplicaSet/name`, `StatefulSet/name`, `DaemonSet/name`, `Job/name`; none gives a bare pod. */
  owner?: string;
  nodeName?: string;
  serviceAccount?: string;
  createdAt?: string;
  ready?: boolean;
  restarts?: number;
  /** Waiting reason of the app container, e.g. CrashLoopBackOff. */
  waiting?: string;
  lastTerminatedAt?: string;
  proxyReady?: boolean;
  proxyRestarts?: number;
  env?: Container["env"];
  hostNetwork?: boolean;
  appPorts?: number[];
  proxyImage?: string;
  volumes?: Pod["spec"] extends infer S ? (S extends { volumes?: infer V } ? V : never) : never;
}

const PROXY_IMAGE = "docker.io/istio/proxyv2:1.23.2";

/** A pod with an app container and, optionally, a classic or native istio-proxy. */
export function pod(options: PodOptions): Pod {
  const sidecar = options.sidecar ?? "none";
  const app: Container = {
    name: "app",
    image: `registry.example.com/${options.name}:1.0.0`,
    env: options.env,
    ports: (options.appPorts ?? [8080]).map((containerPort) => ({ containerPort, protocol: "TCP" })),
  };
  const proxy: Container = {
    name: "istio-proxy",
    image: options.proxyImage ?? PROXY_IMAGE,
    ports: [{ containerPort: 15090, name: "http-envoy-prom" }],
  };
  const init: Container = { name: "istio-init", image: options.proxyImage ?? PROXY_IMAGE };
  const ready = options.ready ?? true;
  const proxyStatus: ContainerStatus = {
    name: "istio-proxy",
    ready: options.proxyReady ?? true,
    started: true,
    restartCount: options.proxyRestarts ?? 0,
    state: { running: { startedAt: options.createdAt ?? "2026-06-28T18:30:00Z" } },
  };
  const appStatus: ContainerStatus = {
    name: "app",
    ready,
    restartCount: options.restarts ?? 0,
    state: options.waiting
      ? { waiting: { reason: options.waiting } }
      : { running: { startedAt: options.createdAt ?? "2026-06-28T18:30:00Z" } },
    lastState: options.lastTerminatedAt
      ? { terminated: { reason: "Error", exitCode: 1, finishedAt: options.lastTerminatedAt } }
      : undefined,
  };
  const initDone: ContainerStatus = {
    name: "istio-init",
    ready: true,
    restartCount: 0,
    state: { terminated: { reason: "Completed", exitCode: 0 } },
  };

  const [ownerKind, ownerName] = options.owner ? options.owner.split("/") : [];
  const annotations = { ...(options.annotations ?? {}) };
  if (sidecar !== "none")
    annotations["sidecar.istio.io/status"] ??=
      '{"initContainers":["istio-init"],"containers":["istio-proxy"],"revision":"default"}';

  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: options.name,
      namespace: options.namespace,
      uid: uid(),
      creationTimestamp: options.createdAt ?? "2026-06-28T18:30:00Z",
      labels: { ...(options.labels ?? {}), ...(sidecar !== "none" ? { "security.istio.io/tlsMode": "istio" } : {}) },
      annotations,
      ownerReferences:
        ownerKind && ownerName
          ? [{ apiVersion: "apps/v1", kind: ownerKind, name: ownerName, controller: true, uid: uid() }]
          : undefined,
    },
    spec: {
      nodeName: options.nodeName ?? "node-1",
      serviceAccountName: options.serviceAccount ?? "default",
      hostNetwork: options.hostNetwork,
      initContainers:
        sidecar === "native" ? [init, { ...proxy, restartPolicy: "Always" }] : sidecar === "classic" ? [init] : [],
      containers: sidecar === "classic" ? [app, proxy] : [app],
      volumes:
        options.volumes ??
        (sidecar !== "none" ? [{ name: "workload-socket", csi: { driver: "csi.spiffe.io", readOnly: true } }] : []),
    },
    status: {
      phase: options.waiting === "PodInitializing" ? "Pending" : "Running",
      conditions: [
        { type: "Ready", status: ready && (sidecar === "none" || (options.proxyReady ?? true)) ? "True" : "False" },
      ],
      initContainerStatuses: sidecar === "native" ? [initDone, proxyStatus] : sidecar === "classic" ? [initDone] : [],
      containerStatuses: sidecar === "classic" ? [appStatus, proxyStatus] : [appStatus],
    },
  };
}

export interface WorkloadOptions {
  namespace: string;
  name: string;
  kind?: "Deployment" | "StatefulSet" | "DaemonSet";
  replicas?: number;
  readyReplicas?: number;
  templateLabels?: Record<string, string>;
  templateAnnotations?: Record<string, string>;
  serviceAccount?: string;
  hostNetwork?: boolean;
  createdAt?: string;
}

/** A controller object; pair it with `pod({ owner })` (ReplicaSet `<name>-abc12` for Deployments). */
export function workload(options: WorkloadOptions): KubeObject {
  const kind = options.kind ?? "Deployment";
  const labels = { app: options.name, ...(options.templateLabels ?? {}) };
  const replicas = options.replicas ?? 1;
  return {
    apiVersion: "apps/v1",
    kind,
    metadata: {
      name: options.name,
      namespace: options.namespace,
      uid: uid(),
      generation: 1,
      creationTimestamp: options.createdAt ?? "2026-06-01T10:00:00Z",
      labels: { app: options.name },
    },
    spec: {
      replicas: kind === "DaemonSet" ? undefined : replicas,
      selector: { matchLabels: { app: options.name } },
      template: {
        metadata: { labels, annotations: options.templateAnnotations ?? {} },
        spec: {
          serviceAccountName: options.serviceAccount ?? "default",
          hostNetwork: options.hostNetwork,
          containers: [{ name: "app", image: `registry.example.com/${options.name}:1.0.0` }],
        },
      },
    },
    status:
      kind === "DaemonSet"
        ? { desiredNumberScheduled: replicas, numberReady: options.readyReplicas ?? replicas, observedGeneration: 1 }
        : { replicas, readyReplicas: options.readyReplicas ?? replicas, observedGeneration: 1 },
  };
}

/** A ReplicaSet owned by a Deployment, so owner chains resolve as in a real cluster. */
export function replicaSet(namespace: string, deployment: string, hash = "abc12"): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `${deployment}-${hash}`,
      namespace,
      uid: uid(),
      ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: deployment, controller: true }],
    },
  };
}

/** A Deployment with its ReplicaSet and pods, the common case. */
export function deploymentWithPods(
  options: WorkloadOptions & { pods?: Array<Partial<PodOptions>>; sidecar?: SidecarStyle },
): KubeObject[] {
  const hash = "abc12";
  const pods = (options.pods ?? [{}]).map((podOptions, index) =>
    pod({
      namespace: options.namespace,
      name: `${options.name}-${hash}-p${index}`,
      labels: { app: options.name, "pod-template-hash": hash, ...(options.templateLabels ?? {}) },
      owner: `ReplicaSet/${options.name}-${hash}`,
      sidecar: options.sidecar,
      serviceAccount: options.serviceAccount,
      ...podOptions,
    }),
  );
  return [workload(options), replicaSet(options.namespace, options.name, hash), ...pods];
}

export function configMap(namespace: string, name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, uid: uid() }, data };
}

export function meshConfigMap(mesh: string, namespace = "istio-system"): KubeObject {
  return configMap(namespace, "istio", { mesh });
}

/** Any custom resource. */
export function resource(
  apiVersion: string,
  kind: string,
  namespace: string | undefined,
  name: string,
  spec: unknown,
  extra: Partial<KubeObject["metadata"]> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace, uid: uid(), creationTimestamp: "2026-06-28T18:01:00Z", ...extra },
    spec,
  };
}

export function peerAuthentication(
  namespace: string,
  name: string,
  spec: {
    selector?: { matchLabels: Record<string, string> };
    mtls?: { mode: string };
    portLevelMtls?: Record<string, { mode: string }>;
  },
  createdAt = "2026-06-28T18:01:00Z",
): KubeObject {
  return resource("security.istio.io/v1", "PeerAuthentication", namespace, name, spec, {
    creationTimestamp: createdAt,
  });
}

export function service(
  namespace: string,
  name: string,
  selector: Record<string, string>,
  ports: Array<{ port: number; targetPort?: number; name?: string }>,
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, uid: uid() },
    spec: { selector, ports: ports.map((port) => ({ protocol: "TCP", ...port })) },
  };
}

/** A CollectedState as the snapshot reader would return it. */
export function stateOf(objects: KubeObject[], overrides: Partial<CollectedState> = {}): CollectedState {
  return {
    format: SNAPSHOT_FORMAT,
    source: { type: "files", description: "test fixture" },
    capturedAt: CAPTURED_AT,
    capturedAtSource: "snapshot-file",
    kubernetesVersion: { gitVersion: "v1.36.1", source: "node-kubelet" },
    live: false,
    objects,
    evidence: [],
    collectionIssues: [],
    input: { files: [], objectsByKind: {}, secretsDropped: 0, skippedDocuments: [], duplicates: [], warnings: [] },
    ...overrides,
  };
}

/** A minimal valid plan; `spec` fields override the defaults. */
export function plan(spec: Record<string, unknown> = {}): RolloutPlan {
  return planSchema.parse({
    apiVersion: "meshproof.dev/v1alpha1",
    kind: "RolloutPlan",
    metadata: { name: "test-plan" },
    spec: {
      trustDomain: "insignia.tech",
      window: { start: WINDOW_START },
      istio: { namespace: "istio-system", revision: "default", version: "1.23" },
      mesh: { namespaces: ["sre"], workloads: [] },
      phases: { current: { id: "mesh-http-apps", mtls: "PERMISSIVE" }, next: [] },
      ...spec,
    },
  });
}

export function modelOf(
  objects: KubeObject[],
  withPlan?: RolloutPlan,
  overrides: Partial<CollectedState> = {},
): ClusterModel {
  return buildModel(stateOf(objects, overrides), withPlan);
}

export { emptyInputReport };
