/**
 * Synthetic clusters for the benchmark and for tests that need many objects. Each has Istio 1.23
 * with SPIRE, app namespaces with meshed Deployments (classic and native sidecars), unmeshed
 * datastores and CronJobs, and the Services, ConfigMaps, policies and nodes a cluster of that size
 * has. The output is deterministic for a given shape and seed, so runs and tests compare like with
 * like.
 *
 * `generateObjects` yields objects one at a time, so the benchmark writes 50,000 pods without
 * keeping them all in memory. `generateCluster` and `generatedState` build an in-memory cluster
 * for tests.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import { type CollectedState, SNAPSHOT_FORMAT } from "../src/collect/types.js";
import type { Container, ContainerStatus, KubeObject, Volume } from "../src/model/kube.js";
import { planSchema, type RolloutPlan } from "../src/plan/schema.js";

export interface ClusterShape {
  /** Total number of pods, system pods included. At least 50, so the control plane fits. */
  pods: number;
  /** Seed of the pseudo-random choices (replica counts, sidecar kinds, failing pods). */
  seed?: number;
}

/** Pod counts of the benchmark, smallest first. */
export const BENCH_SIZES = [1_000, 10_000, 50_000] as const;

export const TRUST_DOMAIN = "insignia.tech";
export const WINDOW_START = "2026-06-28T18:00:00Z";
export const CAPTURED_AT = "2026-06-28T21:40:00Z";
export const ISTIO_VERSION = "1.23.2";
export const EXTERNAL_DB_HOST = "db-postgresql-nyc2-43694-do-user-0-0.a.db.ondigitalocean.com";

/** Pods per node: typical of clusters with a few hundred nodes, and so the DaemonSet pod share is realistic. */
const PODS_PER_NODE = 50;
/** App pods per namespace, on average: small enough that even a 1,000-pod cluster has several namespaces. */
const PODS_PER_NAMESPACE = 120;

const PROXY_IMAGE = `docker.io/istio/proxyv2:${ISTIO_VERSION}`;
const SIDECAR_STATUS =
  '{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["workload-socket","istio-envoy","istio-token"],"imagePullSecrets":null,"revision":"default"}';
const CLASSIC_SIDECAR_STATUS =
  '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","istio-envoy","istio-token"],"imagePullSecrets":null,"revision":"default"}';

type SidecarStyle = "native" | "classic" | "none";

/** One controller and how its pods look. */
interface WorkloadPlan {
  kind: "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob";
  namespace: string;
  name: string;
  replicas: number;
  sidecar: SidecarStyle;
  /** Pods of this workload that carry the other sidecar kind: a workload caught mid-roll. */
  mixed: boolean;
  serviceAccount: string;
  /** Datastores carry `sidecar.istio.io/inject: "false"` on their template. */
  datastore: boolean;
  ports: number[];
  image: string;
  /** Container names, app first; SPIRE and ingress pods run more than one. */
  containers: string[];
  templateHash: string;
  createdAt: string;
  env?: Container["env"];
  hostNetwork?: boolean;
  /** Control-plane and node agents: kept healthy, so failures land on app workloads only. */
  system?: boolean;
}

interface NamespacePlan {
  name: string;
  labels: Record<string, string>;
  meshed: boolean;
  workloads: WorkloadPlan[];
}

/** Layout of a generated cluster, computed before any object is built. */
export interface ClusterLayout {
  shape: Required<ClusterShape>;
  nodes: string[];
  namespaces: NamespacePlan[];
  appNamespaces: string[];
  meshedNamespaces: string[];
  unmeshedNamespaces: string[];
}

/** Mulberry32: a small, fast generator whose sequence depends only on the seed. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

/** Lowercase base-36 string of a fixed length, like the suffixes Kubernetes appends to generated names. */
function suffix(random: () => number, length: number): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let text = "";
  for (let index = 0; index < length; index++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

function uidOf(random: () => number): string {
  const hex = () =>
    Math.floor(random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, "0");
  const a = hex();
  const b = hex();
  const c = hex();
  const d = hex();
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-8${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

/** Minutes before the capture time, as an ISO timestamp. */
function minutesBefore(minutes: number): string {
  return new Date(Date.parse(CAPTURED_AT) - minutes * 60_000).toISOString().replace(".000Z", "Z");
}

const APP_NAMES = [
  "mdm-kernel",
  "mdm-ai",
  "mdm-sas",
  "opa",
  "opal-server",
  "poi-api",
  "roof",
  "cmp-docs",
  "billing",
  "catalog",
  "checkout",
  "search",
  "notify",
  "session",
  "profile",
  "ledger",
  "reports",
  "gateway-api",
  "media",
  "audit",
];
const DATASTORE_NAMES = ["postgres", "redis", "vault", "neo4j", "redpanda", "temporal"];

/** Decides namespaces, nodes and workloads for a shape, so objects and the plan agree on names. */
export function layoutCluster(shape: ClusterShape): ClusterLayout {
  const full: Required<ClusterShape> = { pods: shape.pods, seed: shape.seed ?? 1 };
  if (!Number.isInteger(full.pods) || full.pods < 50) {
    throw new RangeError(`a generated cluster needs at least 50 pods, got ${full.pods}`);
  }
  const random = randomSource(full.seed);
  const nodeCount = Math.max(3, Math.ceil(full.pods / PODS_PER_NODE));
  const nodes = Array.from({ length: nodeCount }, (_, index) => `node-${String(index + 1).padStart(4, "0")}`);

  const istiodReplicas = full.pods >= 10_000 ? 3 : 2;
  const system: NamespacePlan[] = [
    {
      name: "kube-system",
      labels: {},
      meshed: false,
      workloads: [
        systemWorkload("Deployment", "kube-system", "coredns", 2, "registry.k8s.io/coredns/coredns:v1.11.3", [53]),
        systemWorkload(
          "DaemonSet",
          "kube-system",
          "kube-proxy",
          nodeCount,
          "registry.k8s.io/kube-proxy:v1.36.1",
          [10249],
          {
            hostNetwork: true,
          },
        ),
      ],
    },
    {
      name: "istio-system",
      labels: {},
      meshed: false,
      workloads: [
        systemWorkload(
          "Deployment",
          "istio-system",
          "istiod",
          istiodReplicas,
          `docker.io/istio/pilot:${ISTIO_VERSION}`,
          [8080, 15010, 15012, 15014, 15017],
          {
            containers: ["discovery"],
            env: [
              { name: "ENABLE_NATIVE_SIDECARS", value: "true" },
              { name: "PILOT_ENABLE_WORKLOAD_ENTRY_AUTOREGISTRATION", value: "true" },
              { name: "REVISION", value: "default" },
              { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
            ],
          },
        ),
      ],
    },
    {
      name: "spire-server",
      labels: {},
      meshed: false,
      workloads: [
        systemWorkload("StatefulSet", "spire-server", "spire-server", 1, "ghcr.io/spiffe/spire-server:1.10.4", [8081], {
          containers: ["spire-server", "spire-controller-manager"],
        }),
      ],
    },
    {
      name: "spire-system",
      labels: {},
      meshed: false,
      workloads: [
        systemWorkload(
          "DaemonSet",
          "spire-system",
          "spire-agent",
          nodeCount,
          "ghcr.io/spiffe/spire-agent:1.10.4",
          [9982],
        ),
        systemWorkload(
          "DaemonSet",
          "spire-system",
          "spire-spiffe-csi-driver",
          nodeCount,
          "ghcr.io/spiffe/spiffe-csi-driver:0.2.6",
          [],
          {
            containers: ["spiffe-csi-driver", "node-driver-registrar"],
          },
        ),
      ],
    },
    {
      name: "ingress-nginx",
      labels: {},
      meshed: false,
      workloads: [
        systemWorkload(
          "Deployment",
          "ingress-nginx",
          "ingress-nginx-controller",
          2,
          "registry.k8s.io/ingress-nginx/controller:v1.11.2",
          [80, 443, 8443],
        ),
      ],
    },
  ];
  const systemPods = system
    .flatMap((namespace) => namespace.workloads)
    .reduce((sum, workload) => sum + workload.replicas, 0);
  const appPods = full.pods - systemPods;
  if (appPods < 1)
    throw new RangeError(`${full.pods} pods do not leave room for app pods after ${systemPods} system pods`);

  const namespaceCount = Math.max(2, Math.round(appPods / PODS_PER_NAMESPACE));
  const apps: NamespacePlan[] = [];
  let podsLeft = appPods;
  for (let index = 0; index < namespaceCount; index++) {
    const name = index === 0 ? "sre" : index === 1 ? "workers" : `team-${String(index - 1).padStart(3, "0")}`;
    // Three namespaces in four are in the mesh; `workers` is the next phase's namespace and is not yet.
    const meshed = index === 0 || (index !== 1 && index % 4 !== 1);
    const budget = index === namespaceCount - 1 ? podsLeft : Math.round(appPods / namespaceCount);
    podsLeft -= budget;
    apps.push({
      name,
      labels: meshed ? { "istio-injection": "enabled" } : {},
      meshed,
      workloads: appWorkloads(random, name, meshed, budget),
    });
  }

  const appNamespaces = apps.map((namespace) => namespace.name);
  return {
    shape: full,
    nodes,
    namespaces: [...system, ...apps],
    appNamespaces,
    meshedNamespaces: apps.filter((namespace) => namespace.meshed).map((namespace) => namespace.name),
    unmeshedNamespaces: apps.filter((namespace) => !namespace.meshed).map((namespace) => namespace.name),
  };
}

function systemWorkload(
  kind: WorkloadPlan["kind"],
  namespace: string,
  name: string,
  replicas: number,
  image: string,
  ports: number[],
  extra: Partial<WorkloadPlan> = {},
): WorkloadPlan {
  return {
    kind,
    namespace,
    name,
    replicas,
    sidecar: "none",
    mixed: false,
    serviceAccount: name,
    datastore: false,
    ports,
    image,
    containers: [name],
    templateHash: "7d9f8c6b5",
    createdAt: "2026-05-02T09:12:44Z",
    system: true,
    ...extra,
  };
}

/** Fills one namespace's pod budget with Deployments, datastore StatefulSets and CronJobs. */
function appWorkloads(random: () => number, namespace: string, meshed: boolean, budget: number): WorkloadPlan[] {
  const workloads: WorkloadPlan[] = [];
  let podsLeft = budget;
  let index = 0;
  while (podsLeft > 0) {
    const roll = random();
    const kind: WorkloadPlan["kind"] = roll < 0.84 ? "Deployment" : roll < 0.95 ? "StatefulSet" : "CronJob";
    const wanted =
      kind === "Deployment"
        ? pick(random, [1, 2, 2, 3, 3, 3, 4, 6])
        : kind === "StatefulSet"
          ? pick(random, [1, 3])
          : 1;
    const replicas = Math.min(wanted, podsLeft);
    podsLeft -= replicas;

    const datastore = kind === "StatefulSet";
    const base = datastore ? pick(random, DATASTORE_NAMES) : (APP_NAMES[index % APP_NAMES.length] as string);
    const name = `${base}-${String(index).padStart(4, "0")}`;
    // Workloads injected before native mode was switched on keep classic sidecars until recreated.
    const sidecar: SidecarStyle = !meshed || datastore ? "none" : random() < 0.6 ? "native" : "classic";
    workloads.push({
      kind,
      namespace,
      name,
      replicas,
      sidecar,
      mixed: sidecar !== "none" && replicas > 1 && random() < 0.03,
      serviceAccount: random() < 0.5 ? "default" : name,
      datastore,
      ports: datastore ? [pick(random, [5432, 6379, 8200, 7687, 9092, 7233])] : [8080],
      image: `registry.example.com/${namespace}/${base}:2.${Math.floor(random() * 40)}.${Math.floor(random() * 10)}`,
      containers: [datastore ? base : "app"],
      templateHash: suffix(random, 9),
      createdAt: minutesBefore(60 * 24 * (5 + Math.floor(random() * 90))),
    });
    index++;
  }
  return workloads;
}

/** Builds every object of a cluster of the given shape, in the order kubectl lists kinds. */
export function* generateObjects(shape: ClusterShape): Generator<KubeObject> {
  const layout = layoutCluster(shape);
  const random = randomSource(layout.shape.seed * 7919 + 13);

  for (const name of layout.nodes) yield nodeObject(random, name);
  for (const namespace of layout.namespaces) yield namespaceObject(random, namespace);
  yield* clusterScopedObjects(random, layout);

  for (const namespace of layout.namespaces) {
    yield* namespaceBasics(random, namespace);
    if (namespace.name === "istio-system") yield* istioObjects(random, layout);
    if (namespace.name === "spire-server") yield* spireServerConfig(random);
    if (namespace.name === "spire-system") yield* spireAgentConfig(random);
    if (namespace.meshed) yield* meshPolicies(random, namespace);

    let nodeCursor = Math.floor(random() * layout.nodes.length);
    for (const workload of namespace.workloads) {
      yield* workloadObjects(random, workload);
      for (let replica = 0; replica < workload.replicas; replica++) {
        const nodeName =
          workload.kind === "DaemonSet"
            ? (layout.nodes[replica] as string)
            : (layout.nodes[nodeCursor++ % layout.nodes.length] as string);
        yield podObject(random, workload, replica, nodeName);
      }
    }
  }
}

/** Returns the generated cluster as an array of objects. */
export function generateCluster(shape: ClusterShape): KubeObject[] {
  return [...generateObjects(shape)];
}

/** Returns a CollectedState of a generated cluster, as the snapshot reader returns it for the benchmark file. */
export function generatedState(shape: ClusterShape, objects: KubeObject[] = generateCluster(shape)): CollectedState {
  const objectsByKind: Record<string, number> = {};
  for (const object of objects) objectsByKind[object.kind] = (objectsByKind[object.kind] ?? 0) + 1;
  return {
    format: SNAPSHOT_FORMAT,
    source: { type: "files", description: `generated cluster of ${shape.pods} pods` },
    capturedAt: CAPTURED_AT,
    capturedAtSource: "snapshot-file",
    kubernetesVersion: { gitVersion: "v1.36.1", source: "node-kubelet" },
    live: false,
    objects: objects.filter((object) => object.kind !== "Secret"),
    evidence: [],
    collectionIssues: [],
    input: { files: [], objectsByKind, secretsDropped: 0, skippedDocuments: [], duplicates: [], warnings: [] },
  };
}

/** Returns the rollout plan of a generated cluster as a plain document, the shape of a plan YAML file. */
export function generatedPlanDocument(shape: ClusterShape): Record<string, unknown> {
  const layout = layoutCluster(shape);
  const sre = layout.namespaces.find((namespace) => namespace.name === "sre");
  const canary = sre?.workloads.find((workload) => workload.kind === "Deployment" && workload.sidecar !== "none");
  return {
    apiVersion: "meshproof.dev/v1alpha1",
    kind: "RolloutPlan",
    metadata: { name: `generated-${layout.shape.pods}`, description: "Plan of a generated benchmark cluster." },
    spec: {
      cluster: { name: `bench-${layout.shape.pods}`, kubernetesVersion: "1.36" },
      window: { start: WINDOW_START, capturedAt: CAPTURED_AT },
      trustDomain: TRUST_DOMAIN,
      istio: { namespace: "istio-system", revision: "default", version: "1.23" },
      spire: {
        server: { namespace: "spire-server", name: "spire-server" },
        agent: { namespace: "spire-system", name: "spire-agent" },
        csiDriver: { namespace: "spire-system", name: "spire-spiffe-csi-driver" },
      },
      mesh: {
        namespaces: layout.meshedNamespaces,
        workloads: canary ? [{ kind: "Deployment", namespace: "sre", name: canary.name, canary: true }] : [],
      },
      datastores: DATASTORE_NAMES.map((name) => ({
        name,
        selector: { matchLabels: { "app.kubernetes.io/name": name } },
      })),
      phases: {
        current: { id: "mesh-http-apps", mtls: "PERMISSIVE", title: "Mesh the HTTP app services" },
        next: [
          { id: "mesh-workers", type: "mesh-workloads", namespaces: layout.unmeshedNamespaces },
          { id: "mesh-ingress", type: "mesh-ingress" },
          { id: "strict", type: "strict" },
        ],
      },
      externalServices: [
        {
          name: "managed-postgres",
          host: EXTERNAL_DB_HOST,
          protocol: "postgres",
          tlsByClient: true,
          ports: [
            { number: 25060, inUse: "yes" },
            { number: 25061, inUse: "unknown", description: "connection pool" },
          ],
        },
      ],
      policyExceptions: [
        {
          kind: "PeerAuthentication",
          namespace: "sre",
          name: "vault-permissive",
          reason: "ESO calls Vault without a sidecar",
          mode: "PERMISSIVE",
        },
      ],
      ingress: { namespace: "ingress-nginx", workload: "Deployment ingress-nginx/ingress-nginx-controller" },
      unmeshedClients: [{ namespace: "ingress-nginx", description: "ingress-nginx controller" }],
    },
  };
}

/** Returns the rollout plan of a generated cluster, validated by the plan schema. */
export function generatedPlan(shape: ClusterShape): RolloutPlan {
  return planSchema.parse(generatedPlanDocument(shape));
}

/**
 * Writes a generated cluster as one `kind: List` JSON document, the shape `kubectl get -A -o json`
 * prints, and returns the number of objects written. Objects are written as they are generated,
 * so memory stays flat whatever the size. `indent` 4 matches kubectl's layout; 0 writes one object
 * per line.
 */
export async function writeSnapshotFile(shape: ClusterShape, file: string, indent = 0): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  const stream = createWriteStream(file);
  const write = async (text: string) => {
    if (!stream.write(text)) await once(stream, "drain");
  };

  await write('{"apiVersion":"v1","kind":"List","items":[\n');
  let count = 0;
  for (const object of generateObjects(shape)) {
    await write(`${count === 0 ? "" : ",\n"}${JSON.stringify(object, null, indent)}`);
    count++;
  }
  await write('\n],"metadata":{"resourceVersion":""}}\n');
  stream.end();
  await once(stream, "finish");
  return count;
}

function nodeObject(random: () => number, name: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      uid: uidOf(random),
      creationTimestamp: "2026-04-11T07:20:31Z",
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "s-8vcpu-16gb",
        "topology.kubernetes.io/region": "nyc2",
      },
    },
    spec: { providerID: `digitalocean://${Math.floor(random() * 1e9)}` },
    status: {
      capacity: { cpu: "8", memory: "16331876Ki", pods: "110" },
      conditions: [
        { type: "MemoryPressure", status: "False", lastTransitionTime: "2026-04-11T07:21:02Z" },
        { type: "DiskPressure", status: "False", lastTransitionTime: "2026-04-11T07:21:02Z" },
        { type: "Ready", status: "True", lastTransitionTime: "2026-04-11T07:21:32Z" },
      ],
      nodeInfo: {
        kubeletVersion: "v1.36.1",
        containerRuntimeVersion: "containerd://1.7.22",
        osImage: "Debian GNU/Linux 12 (bookworm)",
      },
    },
  };
}

function namespaceObject(random: () => number, namespace: NamespacePlan): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: namespace.name,
      uid: uidOf(random),
      creationTimestamp: "2026-04-11T07:25:00Z",
      labels: { "kubernetes.io/metadata.name": namespace.name, ...namespace.labels },
    },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  };
}

function clusterScopedObjects(random: () => number, layout: ClusterLayout): KubeObject[] {
  const notOptedOut = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };
  const webhook = (name: string, namespaceSelector: unknown, objectSelector: unknown) => ({
    name,
    admissionReviewVersions: ["v1"],
    clientConfig: {
      service: { name: "istiod", namespace: "istio-system", path: "/inject", port: 443 },
      caBundle:
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvRENDQWVTZ0F3SUJBZ0lRYz0KLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=",
    },
    failurePolicy: "Fail",
    namespaceSelector,
    objectSelector,
    rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "*" }],
    sideEffects: "None",
  });
  return [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: "istio-sidecar-injector", uid: uidOf(random), creationTimestamp: "2026-06-28T18:02:10Z" },
      webhooks: [
        webhook(
          "rev.namespace.sidecar-injector.istio.io",
          {
            matchExpressions: [
              { key: "istio.io/rev", operator: "In", values: ["default"] },
              { key: "istio-injection", operator: "DoesNotExist" },
            ],
          },
          { matchExpressions: [notOptedOut] },
        ),
        webhook(
          "rev.object.sidecar-injector.istio.io",
          {
            matchExpressions: [
              { key: "istio.io/rev", operator: "DoesNotExist" },
              { key: "istio-injection", operator: "DoesNotExist" },
            ],
          },
          { matchExpressions: [notOptedOut, { key: "istio.io/rev", operator: "In", values: ["default"] }] },
        ),
        webhook(
          "namespace.sidecar-injector.istio.io",
          { matchExpressions: [{ key: "istio-injection", operator: "In", values: ["enabled"] }] },
          { matchExpressions: [notOptedOut] },
        ),
        webhook(
          "object.sidecar-injector.istio.io",
          {
            matchExpressions: [
              { key: "istio-injection", operator: "DoesNotExist" },
              { key: "istio.io/rev", operator: "DoesNotExist" },
            ],
          },
          {
            matchExpressions: [
              { key: "sidecar.istio.io/inject", operator: "In", values: ["true"] },
              { key: "istio.io/rev", operator: "DoesNotExist" },
            ],
          },
        ),
      ],
    },
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "CSIDriver",
      metadata: { name: "csi.spiffe.io", uid: uidOf(random), creationTimestamp: "2026-05-02T09:12:40Z" },
      spec: { attachRequired: false, podInfoOnMount: true, volumeLifecycleModes: ["Ephemeral"] },
    },
    clusterSpiffeId(random, "istio-workloads", {
      matchExpressions: [{ key: "istio-injection", operator: "In", values: ["enabled"] }],
    }),
    clusterSpiffeId(random, "ingress-nginx", { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } }),
    {
      apiVersion: "spire.spiffe.io/v1alpha1",
      kind: "ClusterSPIFFEID",
      metadata: { name: "workers", uid: uidOf(random), creationTimestamp: "2026-06-28T18:05:00Z" },
      spec: {
        spiffeIDTemplate:
          "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
        namespaceSelector: {
          matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: layout.unmeshedNamespaces }],
        },
        podSelector: { matchLabels: { "security.istio.io/tlsMode": "istio" } },
      },
      status: {
        stats: {
          namespacesSelected: layout.unmeshedNamespaces.length,
          podsSelected: 0,
          entriesToSet: 0,
          entryFailures: 0,
        },
      },
    },
  ];
}

function clusterSpiffeId(random: () => number, name: string, namespaceSelector: unknown): KubeObject {
  return {
    apiVersion: "spire.spiffe.io/v1alpha1",
    kind: "ClusterSPIFFEID",
    metadata: { name, uid: uidOf(random), creationTimestamp: "2026-06-28T18:05:00Z" },
    spec: {
      spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
      namespaceSelector,
      podSelector: { matchLabels: { "security.istio.io/tlsMode": "istio" } },
    },
    status: {
      stats: { namespacesSelected: 1, podsSelected: 0, entriesToSet: 0, entryFailures: 0, podEntryRenderFailures: 0 },
    },
  };
}

/** Returns the objects every namespace has: its root CA ConfigMap, the default ServiceAccount and a pull Secret. */
function namespaceBasics(random: () => number, namespace: NamespacePlan): KubeObject[] {
  const objects: KubeObject[] = [
    configMapObject(random, namespace.name, "kube-root-ca.crt", {
      "ca.crt":
        "-----BEGIN CERTIFICATE-----\nMIIDJzCCAg+gAwIBAgICBnUwDQYJKoZIhvcNAQELBQAwMzEVMBMGA1UECgwMRGln\n-----END CERTIFICATE-----\n",
    }),
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: "default",
        namespace: namespace.name,
        uid: uidOf(random),
        creationTimestamp: "2026-04-11T07:25:00Z",
      },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        name: "registry-pull",
        namespace: namespace.name,
        uid: uidOf(random),
        creationTimestamp: "2026-04-11T07:25:00Z",
      },
      type: "kubernetes.io/dockerconfigjson",
      data: {
        ".dockerconfigjson": "eyJhdXRocyI6eyJyZWdpc3RyeS5leGFtcGxlLmNvbSI6eyJhdXRoIjoiYm1WMlpYSTZjMlZsYmc9PSJ9fX0=",
      },
    },
  ];
  if (namespace.meshed) {
    objects.push(
      configMapObject(random, namespace.name, "istio-ca-root-cert", {
        "root-cert.pem":
          "-----BEGIN CERTIFICATE-----\nMIIC/DCCAeSgAwIBAgIQc2VsZi1zaWduZWQgcm9vdA==\n-----END CERTIFICATE-----\n",
      }),
    );
  }
  return objects;
}

function configMapObject(
  random: () => number,
  namespace: string,
  name: string,
  data: Record<string, string>,
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace, uid: uidOf(random), creationTimestamp: "2026-05-02T09:12:40Z" },
    data,
  };
}

function istioObjects(random: () => number, layout: ClusterLayout): KubeObject[] {
  const mesh = [
    "accessLogFile: /dev/stdout",
    "defaultConfig:",
    "  discoveryAddress: istiod.istio-system.svc:15012",
    "  holdApplicationUntilProxyStarts: true",
    "defaultProviders:",
    "  metrics:",
    "  - prometheus",
    "enableAutoMtls: true",
    "outboundTrafficPolicy:",
    "  mode: ALLOW_ANY",
    "rootNamespace: istio-system",
    `trustDomain: ${TRUST_DOMAIN}`,
  ].join("\n");
  const injectorConfig = [
    "defaultTemplates: [sidecar, spire]",
    "policy: enabled",
    "templates:",
    "  spire: |",
    "    spec:",
    "      initContainers:",
    "      - name: istio-proxy",
    "        volumeMounts:",
    "        - name: workload-socket",
    "          mountPath: /run/secrets/workload-spiffe-uds",
    "          readOnly: true",
    "      volumes:",
    "      - name: workload-socket",
    "        csi:",
    '          driver: "csi.spiffe.io"',
    "          readOnly: true",
  ].join("\n");
  return [
    configMapObject(random, "istio-system", "istio", { mesh, meshNetworks: "networks: {}" }),
    configMapObject(random, "istio-system", "istio-sidecar-injector", {
      config: injectorConfig,
      values: JSON.stringify({
        global: { proxy: { image: "proxyv2" }, tag: ISTIO_VERSION },
        pilot: { env: { ENABLE_NATIVE_SIDECARS: "true" } },
      }),
    }),
    istioResource(random, "security.istio.io/v1", "PeerAuthentication", "istio-system", "default", {
      mtls: { mode: "PERMISSIVE" },
    }),
    istioResource(random, "networking.istio.io/v1", "ServiceEntry", "istio-system", "managed-postgres", {
      hosts: [EXTERNAL_DB_HOST],
      location: "MESH_EXTERNAL",
      resolution: "DNS",
      ports: [{ number: 25060, name: "tcp-postgres", protocol: "TCP" }],
      exportTo: ["*"],
    }),
    istioResource(random, "networking.istio.io/v1", "DestinationRule", "istio-system", "managed-postgres", {
      host: EXTERNAL_DB_HOST,
      trafficPolicy: { tls: { mode: "DISABLE" } },
      exportTo: layout.meshedNamespaces.length > 20 ? ["*"] : layout.meshedNamespaces,
    }),
  ];
}

function spireServerConfig(random: () => number): KubeObject[] {
  const server = [
    "server {",
    '  bind_address = "0.0.0.0"',
    '  bind_port = "8081"',
    `  trust_domain = "${TRUST_DOMAIN}"`,
    '  data_dir = "/run/spire/data"',
    '  ca_subject { country = ["US"] organization = ["SPIFFE"] }',
    '  default_x509_svid_ttl = "1h"',
    "}",
    "plugins {",
    '  DataStore "sql" { plugin_data { database_type = "sqlite3" connection_string = "/run/spire/data/datastore.sqlite3" } }',
    '  NodeAttestor "k8s_psat" { plugin_data { clusters = { "bench" = { service_account_allow_list = ["spire-system:spire-agent"] } } } }',
    '  KeyManager "disk" { plugin_data { keys_path = "/run/spire/data/keys.json" } }',
    "}",
  ].join("\n");
  const controllerManager = [
    "apiVersion: spire.spiffe.io/v1alpha1",
    "kind: ControllerManagerConfig",
    "clusterName: bench",
    `trustDomain: ${TRUST_DOMAIN}`,
    "ignoreNamespaces:",
    "  - kube-system",
    "  - kube-public",
    "  - spire-system",
    "  - spire-server",
  ].join("\n");
  return [
    configMapObject(random, "spire-server", "spire-server", { "server.conf": server }),
    configMapObject(random, "spire-server", "spire-controller-manager", {
      "controller-manager-config.yaml": controllerManager,
    }),
  ];
}

function spireAgentConfig(random: () => number): KubeObject[] {
  const agent = [
    "agent {",
    '  data_dir = "/run/spire"',
    '  server_address = "spire-server.spire-server"',
    '  server_port = "8081"',
    '  socket_path = "/run/spire/agent-sockets/socket"',
    `  trust_domain = "${TRUST_DOMAIN}"`,
    "  sds {",
    '    default_svid_name = "default"',
    '    default_bundle_name = "ROOTCA"',
    '    default_all_bundles_name = "ALL"',
    "  }",
    "}",
    "plugins {",
    '  NodeAttestor "k8s_psat" { plugin_data { cluster = "bench" } }',
    '  WorkloadAttestor "k8s" { plugin_data { disable_container_selectors = true } }',
    "}",
  ].join("\n");
  return [configMapObject(random, "spire-system", "spire-agent", { "agent.conf": agent })];
}

/** Returns the PeerAuthentications, DestinationRules, AuthorizationPolicies and Sidecar of a meshed namespace. */
function meshPolicies(random: () => number, namespace: NamespacePlan): KubeObject[] {
  const objects: KubeObject[] = [
    istioResource(random, "security.istio.io/v1", "PeerAuthentication", namespace.name, "default", {
      mtls: { mode: "PERMISSIVE" },
    }),
    istioResource(random, "networking.istio.io/v1", "Sidecar", namespace.name, "default", {
      egress: [{ hosts: ["./*", "istio-system/*"] }],
    }),
    istioResource(random, "networking.istio.io/v1", "ServiceEntry", namespace.name, "partner-api", {
      hosts: [`api.partner-${namespace.name}.example.com`],
      location: "MESH_EXTERNAL",
      resolution: "DNS",
      ports: [{ number: 443, name: "tls", protocol: "TLS" }],
    }),
  ];
  const datastore = namespace.workloads.find((workload) => workload.datastore);
  if (datastore) {
    // A workload-level exception that keeps an unmeshed datastore reachable from sidecar-less callers.
    objects.push(
      istioResource(
        random,
        "security.istio.io/v1",
        "PeerAuthentication",
        namespace.name,
        `${datastore.name}-permissive`,
        {
          selector: { matchLabels: { app: datastore.name } },
          mtls: { mode: "PERMISSIVE" },
        },
      ),
      istioResource(
        random,
        "networking.istio.io/v1",
        "DestinationRule",
        namespace.name,
        `${datastore.name}-plaintext`,
        {
          host: `${datastore.name}.${namespace.name}.svc.cluster.local`,
          trafficPolicy: { tls: { mode: "DISABLE" } },
        },
      ),
    );
  }
  namespace.workloads.forEach((workload, index) => {
    if (workload.sidecar === "none" || index % 10 !== 0) return;
    objects.push(
      istioResource(random, "networking.istio.io/v1", "DestinationRule", namespace.name, workload.name, {
        host: `${workload.name}.${namespace.name}.svc.cluster.local`,
        trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" }, connectionPool: { http: { http2MaxRequests: 1000 } } },
      }),
      istioResource(random, "security.istio.io/v1", "AuthorizationPolicy", namespace.name, `${workload.name}-callers`, {
        selector: { matchLabels: { app: workload.name } },
        action: "ALLOW",
        rules: [{ from: [{ source: { principals: [`${TRUST_DOMAIN}/ns/${namespace.name}/sa/default`] } }] }],
      }),
    );
    if (index % 20 === 0) {
      objects.push(
        istioResource(
          random,
          "security.istio.io/v1",
          "PeerAuthentication",
          namespace.name,
          `${workload.name}-metrics`,
          {
            selector: { matchLabels: { app: workload.name } },
            mtls: { mode: "UNSET" },
            portLevelMtls: { "9090": { mode: "DISABLE" } },
          },
        ),
      );
    }
  });
  return objects;
}

function istioResource(
  random: () => number,
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  spec: unknown,
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace, uid: uidOf(random), generation: 1, creationTimestamp: "2026-06-28T18:04:12Z" },
    spec,
  };
}

/** Returns the controller, its ReplicaSets or Job, its Service, ServiceAccount and config of one workload. */
function workloadObjects(random: () => number, workload: WorkloadPlan): KubeObject[] {
  const labels = workloadLabels(workload);
  const metadata = {
    name: workload.name,
    namespace: workload.namespace,
    uid: uidOf(random),
    generation: 2,
    creationTimestamp: workload.createdAt,
    labels: { app: workload.name, "app.kubernetes.io/name": labels["app.kubernetes.io/name"] as string },
  };
  const template = {
    metadata: { labels, annotations: templateAnnotations(workload) },
    spec: {
      serviceAccountName: workload.serviceAccount,
      ...(workload.hostNetwork ? { hostNetwork: true } : {}),
      containers: workload.containers.map((name) => ({
        name,
        image: workload.image,
        ports: workload.ports.map((containerPort) => ({ containerPort, protocol: "TCP" })),
        env: workload.env ?? appEnv(workload),
      })),
    },
  };
  const objects: KubeObject[] = [];
  const selector = { matchLabels: { app: workload.name } };

  if (workload.kind === "CronJob") {
    const jobName = `${workload.name}-29183040`;
    objects.push({
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata,
      spec: {
        schedule: "0 * * * *",
        concurrencyPolicy: "Forbid",
        jobTemplate: { spec: { template: { ...template, spec: { ...template.spec, restartPolicy: "OnFailure" } } } },
      },
      status: { lastScheduleTime: "2026-06-28T21:00:00Z", lastSuccessfulTime: "2026-06-28T21:01:12Z" },
    });
    objects.push({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: jobName,
        namespace: workload.namespace,
        uid: uidOf(random),
        creationTimestamp: "2026-06-28T21:00:00Z",
        labels,
        ownerReferences: [
          { apiVersion: "batch/v1", kind: "CronJob", name: workload.name, uid: metadata.uid, controller: true },
        ],
      },
      spec: { completions: 1, parallelism: 1, template },
      status: { succeeded: 1, startTime: "2026-06-28T21:00:00Z", completionTime: "2026-06-28T21:01:12Z" },
    });
    return objects;
  }

  const replicaCounts =
    workload.kind === "DaemonSet"
      ? {
          desiredNumberScheduled: workload.replicas,
          currentNumberScheduled: workload.replicas,
          numberReady: workload.replicas,
          numberAvailable: workload.replicas,
        }
      : {
          replicas: workload.replicas,
          readyReplicas: workload.replicas,
          availableReplicas: workload.replicas,
          updatedReplicas: workload.replicas,
        };
  objects.push({
    apiVersion: "apps/v1",
    kind: workload.kind,
    metadata,
    spec: {
      ...(workload.kind === "DaemonSet" ? {} : { replicas: workload.replicas }),
      ...(workload.kind === "StatefulSet" ? { serviceName: workload.name, updateStrategy: { type: "OnDelete" } } : {}),
      selector,
      template,
    },
    status: { observedGeneration: 2, ...replicaCounts },
  });

  if (workload.kind === "Deployment") {
    // The current ReplicaSet and the previous one, scaled to zero, as a Deployment keeps its history.
    for (const [hash, replicas] of [
      [workload.templateHash, workload.replicas],
      [suffix(random, 9), 0],
    ] as const) {
      objects.push({
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name: `${workload.name}-${hash}`,
          namespace: workload.namespace,
          uid: uidOf(random),
          creationTimestamp: workload.createdAt,
          labels: { app: workload.name, "pod-template-hash": hash },
          ownerReferences: [
            { apiVersion: "apps/v1", kind: "Deployment", name: workload.name, uid: metadata.uid, controller: true },
          ],
        },
        spec: { replicas, selector: { matchLabels: { app: workload.name, "pod-template-hash": hash } } },
        status: { replicas, readyReplicas: replicas, observedGeneration: 2 },
      });
    }
  }

  if (workload.ports.length > 0) {
    objects.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: workload.name,
        namespace: workload.namespace,
        uid: uidOf(random),
        creationTimestamp: workload.createdAt,
        labels: { app: workload.name },
      },
      spec: {
        ...(workload.kind === "StatefulSet"
          ? { clusterIP: "None" }
          : { clusterIP: `10.245.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}` }),
        selector,
        ports: workload.ports.map((port) => ({
          name: portName(port),
          port: port === 8080 ? 80 : port,
          targetPort: port,
          protocol: "TCP",
        })),
        type: "ClusterIP",
      },
    });
  }
  if (workload.serviceAccount !== "default") {
    objects.push({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: {
        name: workload.serviceAccount,
        namespace: workload.namespace,
        uid: uidOf(random),
        creationTimestamp: workload.createdAt,
      },
    });
  }
  if (!workload.datastore && workload.sidecar !== "none" && workload.ports.length > 0) {
    objects.push(
      configMapObject(random, workload.namespace, `${workload.name}-config`, {
        "app.yaml": `listen: :8080\nlogLevel: info\ndatabase:\n  host: ${EXTERNAL_DB_HOST}\n  port: 25060\n  sslmode: require\n`,
      }),
    );
  }
  return objects;
}

function portName(port: number): string {
  switch (port) {
    case 8080:
      return "http";
    case 5432:
      return "tcp-postgres";
    case 6379:
      return "tcp-redis";
    case 8200:
      return "https-vault";
    case 443:
      return "https";
    default:
      return `tcp-${port}`;
  }
}

function workloadLabels(workload: WorkloadPlan): Record<string, string> {
  const base = workload.datastore ? workload.name.replace(/-\d+$/, "") : workload.name;
  return {
    app: workload.name,
    "app.kubernetes.io/name": base,
    "app.kubernetes.io/part-of": workload.namespace,
    ...(workload.datastore ? { "app.kubernetes.io/component": "database", "sidecar.istio.io/inject": "false" } : {}),
  };
}

function templateAnnotations(workload: WorkloadPlan): Record<string, string> {
  if (workload.sidecar === "none") return {};
  return { "inject.istio.io/templates": "sidecar,spire" };
}

function appEnv(workload: WorkloadPlan): Container["env"] {
  if (workload.datastore) {
    return [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "DATA_DIR", value: "/var/lib/data" },
    ];
  }
  return [
    { name: "DATABASE_HOST", value: EXTERNAL_DB_HOST },
    { name: "DATABASE_PORT", value: "25060" },
    { name: "DATABASE_PASSWORD", valueFrom: { secretKeyRef: { name: `${workload.name}-db`, key: "password" } } },
  ];
}

/** Returns one pod of a workload, shaped as the API server returns it after injection and scheduling. */
function podObject(random: () => number, workload: WorkloadPlan, replica: number, nodeName: string): KubeObject {
  const hashOrOrdinal =
    workload.kind === "StatefulSet"
      ? String(replica)
      : workload.kind === "Deployment"
        ? `${workload.templateHash}-${suffix(random, 5)}`
        : suffix(random, 5);
  const name =
    workload.kind === "CronJob" ? `${workload.name}-29183040-${hashOrOrdinal}` : `${workload.name}-${hashOrOrdinal}`;
  const owner =
    workload.kind === "Deployment"
      ? { kind: "ReplicaSet", name: `${workload.name}-${workload.templateHash}`, apiVersion: "apps/v1" }
      : workload.kind === "CronJob"
        ? { kind: "Job", name: `${workload.name}-29183040`, apiVersion: "batch/v1" }
        : { kind: workload.kind, name: workload.name, apiVersion: "apps/v1" };

  let sidecar = workload.sidecar;
  if (workload.mixed && replica === 0) sidecar = sidecar === "native" ? "classic" : "native";
  const createdMinutesAgo = workload.kind === "CronJob" ? 40 : 60 + Math.floor(random() * 60 * 24 * 3);
  const createdAt = minutesBefore(createdMinutesAgo);

  const roll = workload.system ? 1 : random();
  const state: "running" | "crashloop" | "initializing" | "succeeded" =
    workload.kind === "CronJob"
      ? "succeeded"
      : roll < 0.01
        ? "crashloop"
        : roll < 0.015 && sidecar === "native"
          ? "initializing"
          : "running";
  // Besides crash loops, one pod in twenty restarted once when it started, as apps do while a
  // dependency comes up.
  const restarts = state === "crashloop" ? 5 + Math.floor(random() * 40) : random() < 0.05 ? 1 : 0;

  const labels: Record<string, string> = { ...workloadLabels(workload) };
  if (workload.kind === "Deployment") labels["pod-template-hash"] = workload.templateHash;
  if (workload.kind === "StatefulSet") labels["statefulset.kubernetes.io/pod-name"] = name;
  const annotations: Record<string, string> = { ...templateAnnotations(workload) };
  if (sidecar !== "none") {
    labels["security.istio.io/tlsMode"] = "istio";
    labels["service.istio.io/canonical-name"] = workload.name;
    annotations["sidecar.istio.io/status"] = sidecar === "native" ? SIDECAR_STATUS : CLASSIC_SIDECAR_STATUS;
  }

  const appContainers: Container[] = workload.containers.map((containerName) => ({
    name: containerName,
    image: workload.image,
    ports: workload.ports.map((containerPort) => ({ containerPort, protocol: "TCP" })),
    env: workload.env ?? appEnv(workload),
    ...(workload.ports[0] === 8080
      ? {
          readinessProbe:
            sidecar === "none"
              ? { httpGet: { path: "/ready", port: 8080, scheme: "HTTP" }, periodSeconds: 10 }
              : {
                  httpGet: { path: `/app-health/${containerName}/readyz`, port: 15020, scheme: "HTTP" },
                  periodSeconds: 10,
                },
        }
      : {}),
    volumeMounts: [{ name: "kube-api-access", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }],
  }));
  const proxy: Container = {
    name: "istio-proxy",
    image: PROXY_IMAGE,
    env: [
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "ISTIO_META_WORKLOAD_NAME", value: workload.name },
      { name: "TRUST_DOMAIN", value: TRUST_DOMAIN },
      { name: "ISTIO_KUBE_APP_PROBERS", value: `{"/app-health/app/readyz":{"httpGet":{"path":"/ready","port":8080}}}` },
    ],
    ports: [{ name: "http-envoy-prom", containerPort: 15090, protocol: "TCP" }],
    readinessProbe: { httpGet: { path: "/healthz/ready", port: 15021 }, periodSeconds: 15 },
    ...(sidecar === "native"
      ? {
          restartPolicy: "Always",
          startupProbe: { httpGet: { path: "/healthz/ready", port: 15021 }, periodSeconds: 1 },
        }
      : {}),
    volumeMounts: [
      { name: "workload-socket", mountPath: "/var/run/secrets/workload-spiffe-uds" },
      { name: "istio-envoy", mountPath: "/etc/istio/proxy" },
      { name: "istio-token", mountPath: "/var/run/secrets/tokens" },
    ],
  };
  const init: Container = { name: "istio-init", image: PROXY_IMAGE };
  const volumes: Volume[] =
    sidecar === "none"
      ? [{ name: "kube-api-access", projected: { defaultMode: 420 } }]
      : [
          { name: "workload-socket", csi: { driver: "csi.spiffe.io", readOnly: true } },
          { name: "istio-envoy", emptyDir: { medium: "Memory" } },
          {
            name: "istio-token",
            projected: {
              sources: [
                { serviceAccountToken: { audience: "istio-ca", expirationSeconds: 43200, path: "istio-token" } },
              ],
            },
          },
          { name: "kube-api-access", projected: { defaultMode: 420 } },
        ];

  const startedAt = minutesBefore(Math.max(1, createdMinutesAgo - 1));
  const podReady = state === "running";
  const appStatuses: ContainerStatus[] = workload.containers.map((containerName) => ({
    name: containerName,
    ready: podReady,
    started: state === "running" || state === "crashloop",
    restartCount: restarts,
    state:
      state === "crashloop"
        ? {
            waiting: {
              reason: "CrashLoopBackOff",
              message: `back-off 5m0s restarting failed container=${containerName} pod=${name}`,
            },
          }
        : state === "initializing"
          ? { waiting: { reason: "PodInitializing" } }
          : state === "succeeded"
            ? { terminated: { reason: "Completed", exitCode: 0, startedAt, finishedAt: minutesBefore(39) } }
            : { running: { startedAt } },
    ...(restarts > 0
      ? {
          lastState: {
            terminated: {
              reason: "Error",
              exitCode: 1,
              finishedAt: state === "crashloop" ? minutesBefore(3) : startedAt,
            },
          },
        }
      : {}),
  }));
  const proxyStatus: ContainerStatus = {
    name: "istio-proxy",
    ready: state !== "initializing",
    started: state !== "initializing",
    restartCount: 0,
    state: { running: { startedAt } },
  };
  const initStatus: ContainerStatus = {
    name: "istio-init",
    ready: true,
    restartCount: 0,
    state: { terminated: { reason: "Completed", exitCode: 0, startedAt, finishedAt: startedAt } },
  };

  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: workload.namespace,
      uid: uidOf(random),
      creationTimestamp: createdAt,
      labels,
      annotations,
      ownerReferences: [{ ...owner, uid: uidOf(random), controller: true }],
    },
    spec: {
      ...(sidecar === "native"
        ? { initContainers: [init, proxy] }
        : sidecar === "classic"
          ? { initContainers: [init] }
          : {}),
      containers: sidecar === "classic" ? [...appContainers, proxy] : appContainers,
      nodeName,
      serviceAccountName: workload.serviceAccount,
      ...(workload.hostNetwork ? { hostNetwork: true } : {}),
      restartPolicy: workload.kind === "CronJob" ? "OnFailure" : "Always",
      volumes,
    },
    status: {
      phase: state === "succeeded" ? "Succeeded" : state === "initializing" ? "Pending" : "Running",
      conditions: [
        { type: "Ready", status: podReady ? "True" : "False", lastTransitionTime: startedAt },
        { type: "PodScheduled", status: "True", lastTransitionTime: createdAt },
      ],
      hostIP: `10.116.${Math.floor(random() * 16)}.${Math.floor(random() * 255)}`,
      podIP: `10.244.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`,
      startTime: createdAt,
      ...(sidecar === "none"
        ? {}
        : { initContainerStatuses: sidecar === "native" ? [initStatus, proxyStatus] : [initStatus] }),
      containerStatuses: sidecar === "classic" ? [...appStatuses, proxyStatus] : appStatuses,
      qosClass: "Burstable",
    },
  };
}
