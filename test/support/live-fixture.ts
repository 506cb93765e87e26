import type { KubeObject } from "../../src/model/kube.js";
import { planSchema, type RolloutPlan } from "../../src/plan/schema.js";
import { mintCertificate } from "./pki.js";

/**
 * A small cluster for live-collection tests: one native-sidecar Deployment, one classic-sidecar
 * Deployment, one classic-sidecar StatefulSet, an unmeshed datastore, istiod, the SPIRE server,
 * and a Secret the collector must never ask for.
 */

let uidCounter = 0;
const uid = () => `00000000-0000-4000-8000-${String(++uidCounter).padStart(12, "0")}`;

export const PROXY_IMAGE = "docker.io/istio/proxyv2:1.23.2";

export function namespaceObject(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, uid: uid(), labels } };
}

export interface TestPodOptions {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  sidecar?: "native" | "classic" | "none";
  /** `Kind/name` of the controlling owner. */
  owner?: string;
  phase?: string;
  ready?: boolean;
  containers?: string[];
  env?: Array<Record<string, unknown>>;
}

export function podObject(options: TestPodOptions): KubeObject {
  const proxy = { name: "istio-proxy", image: PROXY_IMAGE };
  const containers: Array<Record<string, unknown>> = (options.containers ?? ["app"]).map((name) => ({
    name,
    image: `example.test/${name}:1`,
    ...(options.env ? { env: options.env } : {}),
  }));
  const initContainers: Array<Record<string, unknown>> = [];
  if (options.sidecar === "classic") containers.push(proxy);
  if (options.sidecar === "native") initContainers.push({ ...proxy, restartPolicy: "Always" });
  const [ownerKind, ownerName] = (options.owner ?? "").split("/");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: options.name,
      namespace: options.namespace,
      uid: uid(),
      labels: options.labels ?? {},
      creationTimestamp: "2026-06-28T18:30:00Z",
      ...(ownerKind && ownerName
        ? { ownerReferences: [{ apiVersion: "apps/v1", kind: ownerKind, name: ownerName, controller: true }] }
        : {}),
    },
    spec: { containers, ...(initContainers.length > 0 ? { initContainers } : {}), serviceAccountName: "default" },
    status: {
      phase: options.phase ?? "Running",
      conditions: [{ type: "Ready", status: options.ready === false ? "False" : "True" }],
    },
  };
}

export function replicaSetObject(namespace: string, name: string, deployment: string): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace,
      uid: uid(),
      ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: deployment, controller: true }],
    },
    spec: { replicas: 1 },
  };
}

export function deploymentObject(namespace: string, name: string): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, uid: uid(), labels: { app: name } },
    spec: { replicas: 1 },
    status: { readyReplicas: 1 },
  };
}

export const TRUST_DOMAIN = "insignia.tech";
export const SPIRE_ID = "spiffe://insignia.tech/ns/sre/sa/default";
export const ISTIOD_ID = "spiffe://cluster.local/ns/sre/sa/default";

/** Build the objects of the test cluster, without the bulk pods tests add for pagination. */
export function clusterObjects(): KubeObject[] {
  return [
    namespaceObject("sre", { "istio-injection": "enabled" }),
    namespaceObject("istio-system"),
    namespaceObject("spire"),
    deploymentObject("sre", "mdm-kernel"),
    replicaSetObject("sre", "mdm-kernel-7d9f", "mdm-kernel"),
    podObject({
      namespace: "sre",
      name: "mdm-kernel-7d9f-abcde",
      labels: { app: "mdm-kernel" },
      sidecar: "native",
      owner: "ReplicaSet/mdm-kernel-7d9f",
      env: [
        { name: "DB_URL", value: "postgres://app:hunter2@db.example.test:25060/app" },
        { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db-credentials", key: "password" } } },
      ],
    }),
    podObject({
      namespace: "sre",
      name: "mdm-kernel-7d9f-pending",
      labels: { app: "mdm-kernel" },
      sidecar: "native",
      owner: "ReplicaSet/mdm-kernel-7d9f",
      phase: "Pending",
      ready: false,
    }),
    deploymentObject("sre", "legacy-api"),
    replicaSetObject("sre", "legacy-api-5c8b", "legacy-api"),
    podObject({
      namespace: "sre",
      name: "legacy-api-5c8b-xyz12",
      labels: { app: "legacy-api" },
      sidecar: "classic",
      owner: "ReplicaSet/legacy-api-5c8b",
    }),
    podObject({
      namespace: "sre",
      name: "old-worker-0",
      labels: { app: "old-worker" },
      sidecar: "classic",
      owner: "StatefulSet/old-worker",
    }),
    podObject({ namespace: "sre", name: "redis-0", labels: { app: "redis" }, owner: "StatefulSet/redis" }),
    podObject({
      namespace: "istio-system",
      name: "istiod-6b7c9d-q4x2z",
      labels: { app: "istiod", "istio.io/rev": "default" },
      containers: ["discovery"],
      owner: "ReplicaSet/istiod-6b7c9d",
    }),
    podObject({
      namespace: "spire",
      name: "spire-server-0",
      labels: { app: "spire-server" },
      containers: ["spire-server", "spire-controller-manager"],
      owner: "StatefulSet/spire-server",
    }),
    {
      apiVersion: "security.istio.io/v1beta1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "sre", uid: uid() },
      spec: { mtls: { mode: "PERMISSIVE" } },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "db-credentials", namespace: "sre", uid: uid() },
      data: { password: Buffer.from("hunter2").toString("base64") },
    },
  ];
}

export interface TestChains {
  spireChainPem: string;
  spireBundlePem: string;
  istiodChainPem: string;
  istiodRootPem: string;
  expiredChainPem: string;
}

/** Mint a SPIRE-issued chain, an istiod-issued chain and an expired SPIRE leaf, valid around now. */
export async function mintTestChains(): Promise<TestChains> {
  const spireCa = await mintCertificate({
    subject: "C=US, O=SPIFFE",
    isCa: true,
    uriSans: [`spiffe://${TRUST_DOMAIN}`],
  });
  const spireLeaf = await mintCertificate({
    subject: "C=US, O=SPIRE",
    issuer: spireCa,
    uriSans: [SPIRE_ID],
    notBefore: new Date(Date.now() - 10 * 60_000),
    notAfter: new Date(Date.now() + 50 * 60_000),
  });
  const istiodRoot = await mintCertificate({ subject: "O=cluster.local", isCa: true });
  const istiodLeaf = await mintCertificate({ subject: "", issuer: istiodRoot, uriSans: [ISTIOD_ID] });
  const expiredLeaf = await mintCertificate({
    subject: "C=US, O=SPIRE",
    issuer: spireCa,
    uriSans: ["spiffe://insignia.tech/ns/sre/sa/old-worker"],
    notBefore: new Date(Date.now() - 3 * 3_600_000),
    notAfter: new Date(Date.now() - 2 * 3_600_000),
  });
  return {
    spireChainPem: spireLeaf.pem + spireCa.pem,
    spireBundlePem: spireCa.pem,
    istiodChainPem: istiodLeaf.pem + istiodRoot.pem,
    istiodRootPem: istiodRoot.pem,
    expiredChainPem: expiredLeaf.pem + spireCa.pem,
  };
}

/** Build a plan that places SPIRE and istiod where clusterObjects() puts them, with the given probes. */
export function testPlan(probes: Array<Record<string, unknown>> = []): RolloutPlan {
  return planSchema.parse({
    apiVersion: "meshproof.dev/v1alpha1",
    kind: "RolloutPlan",
    metadata: { name: "live-test" },
    spec: {
      trustDomain: TRUST_DOMAIN,
      istio: { namespace: "istio-system" },
      spire: {
        server: { namespace: "spire", name: "spire-server" },
        agent: { namespace: "spire", name: "spire-agent" },
        csiDriver: { namespace: "spire", name: "spire-spiffe-csi-driver" },
      },
      mesh: { namespaces: ["sre"] },
      phases: { current: { id: "permissive", mtls: "PERMISSIVE" } },
      probes,
    },
  });
}
