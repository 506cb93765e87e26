import { randomUUID, webcrypto } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { load, loadAll } from "js-yaml";
import { COLLECTED_KINDS } from "../../src/collect/kinds.js";
import { collectLive, type LiveCollectOptions } from "../../src/collect/live/collect.js";
import { isMeshedPod } from "../../src/collect/live/envoy-certs.js";
import { redactState } from "../../src/collect/redact-objects.js";
import { readSnapshot } from "../../src/collect/snapshot/read.js";
import type { CollectedState } from "../../src/collect/types.js";
import type { KubeObject, Pod } from "../../src/model/kube.js";
import { loadPlan } from "../../src/plan/load.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import type { RunResult } from "../../src/run/result.js";
import { runVerification } from "../../src/run/run.js";
import { type StubServer, startEnvoyAdmin, startIstiodDebug } from "./envoy-admin.js";
import { type ExecHandler, type ExecResult, FakeApiServer, type FakeApiServerOptions } from "./fake-apiserver.js";
import { type MintedCertificate, mintCertificate } from "./pki.js";

/**
 * The bundled example (examples/snapshot and examples/plan.yaml) served as a live cluster. The fake
 * API server contains the example's objects, plus the Secret the snapshot reader drops, and stand-ins
 * respond for everything a live run reads beyond the objects. Those are the four plan probes on
 * local HTTP servers, Envoy admin of every meshed pod (a SPIRE-issued SVID minted now), istiod's
 * /debug/mesh (the example's MeshConfig) and spire-server in spire-server-0.
 */

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const EXAMPLE_SNAPSHOT = join(REPO_ROOT, "examples/snapshot");
export const EXAMPLE_PLAN = join(REPO_ROOT, "examples/plan.yaml");
/** The kubeconfig context of the example cluster; also its k8s_psat cluster name in the SPIRE server config. */
export const EXAMPLE_CONTEXT = "lynkedup-tech";
export const EXAMPLE_TRUST_DOMAIN = "insignia.tech";
export const EXAMPLE_SVID = "spiffe://insignia.tech/ns/sre/sa/default";
/** The password in the example's DATABASE_URL env values, which no output may contain. */
export const EXAMPLE_PASSWORD = "S3cr3t-Passw0rd";

const SPIRE_NAMESPACE = "spire-server";
const SPIRE_POD = "spire-server-0";
const SPIRE_BINARY = "/opt/spire/bin/spire-server";
const SVID_LIFETIME_MS = 3_600_000;

/** The status, headers and path of each plan probe's stand-in, by probe name. */
const PROBE_ANSWERS: Record<string, { status: number; headers: Record<string, string>; path: string }> = {
  "mdm-kernel-public": {
    status: 200,
    headers: { server: "istio-envoy", "x-envoy-upstream-service-time": "4" },
    path: "/healthz",
  },
  "mdm-ai-public": {
    status: 200,
    headers: { server: "istio-envoy", "x-envoy-upstream-service-time": "7" },
    path: "/health",
  },
  "keycloak-control": { status: 302, headers: {}, path: "/" },
  "website-control": { status: 200, headers: { server: "nginx" }, path: "/" },
};

export interface ProbeServer {
  url: string;
  /** `METHOD path` of every request received. */
  requests: string[];
  close(): Promise<void>;
}

export interface SpireFixture {
  /** The SPIRE CA (subject C=US, O=SPIFFE) that signed the served SVID. */
  ca: MintedCertificate;
  /** The SVID every meshed pod's Envoy serves: subject C=US, O=SPIRE, one hour of lifetime. */
  svid: MintedCertificate;
  /** Agent SPIFFE ID per node name. */
  agentIds: Map<string, string>;
  /** spire-server output per argument list, such as `entry show -output json`. */
  outputs: Record<string, ExecResult>;
}

export interface ExampleCluster {
  fake: FakeApiServer;
  /** Path of a kubeconfig with the single context EXAMPLE_CONTEXT. */
  kubeconfig: string;
  /** Path of a copy of examples/plan.yaml whose probe URLs point at the local probe servers. */
  planFile: string;
  plan: RolloutPlan;
  /** The objects the fake serves, the planted Secret included. */
  objects: KubeObject[];
  /** Running pods with an istio-proxy, each with an Envoy admin stand-in behind port-forward. */
  meshedPods: Pod[];
  spire: SpireFixture;
  stubs: { envoy: StubServer; istiod: StubServer; probes: Record<string, ProbeServer> };
  close(): Promise<void>;
}

/** Read the example's objects with the snapshot reader, and add back the Secret it drops. */
export async function exampleObjects(): Promise<KubeObject[]> {
  const state = await readSnapshot(EXAMPLE_SNAPSHOT);
  const documents = loadAll(await readFile(join(EXAMPLE_SNAPSHOT, "sre.yaml"), "utf8")) as KubeObject[];
  const secrets = documents.filter((document) => document?.kind === "Secret");
  return [...state.objects, ...secrets];
}

function podKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

function spiffeId(path: string): { trust_domain: string; path: string } {
  return { trust_domain: EXAMPLE_TRUST_DOMAIN, path };
}

function unixSeconds(date: Date): string {
  return String(Math.floor(date.getTime() / 1000));
}

/** PEM body as one base64 line: the DER that JWKS `x5c` carries. */
function derBase64(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
}

/**
 * Build what spire-server 1.x prints for the four allowlisted commands. The JSON shapes are the
 * protojson of ListAgentsResponse, ListEntriesResponse and a SPIFFE bundle (JWKS), with the field
 * names and string-encoded int64 values spire-server writes.
 */
export async function spireServerOutputs(cluster: {
  nodes: KubeObject[];
  pods: Pod[];
  meshedPods: Pod[];
  ca: MintedCertificate;
  now: Date;
  /** The cluster name of the k8s_psat node attestor, the fourth segment of each agent ID. */
  clusterName: string;
}): Promise<{ agentIds: Map<string, string>; outputs: Record<string, ExecResult> }> {
  const { nodes, pods, meshedPods, ca, now, clusterName } = cluster;
  const agentIds = new Map<string, string>();
  const agents = nodes.map((node, index) => {
    const path = `/spire/agent/k8s_psat/${clusterName}/${node.metadata.uid}`;
    agentIds.set(node.metadata.name, `spiffe://${EXAMPLE_TRUST_DOMAIN}${path}`);
    const addresses = (node.status?.addresses ?? []) as Array<{ type: string; address: string }>;
    const ip = addresses.find((address) => address.type === "InternalIP")?.address ?? "";
    const agentPod = pods.find(
      (pod) =>
        pod.spec?.nodeName === node.metadata.name &&
        pod.metadata.ownerReferences?.some((owner) => owner.kind === "DaemonSet" && owner.name === "spire-agent"),
    );
    return {
      id: spiffeId(path),
      attestation_type: "k8s_psat",
      x509svid_serial_number: String(281715470147913728055350377728086773688n + BigInt(index)),
      x509svid_expires_at: unixSeconds(new Date(now.getTime() + SVID_LIFETIME_MS)),
      selectors: [
        { type: "k8s_psat", value: `agent_node_ip:${ip}` },
        { type: "k8s_psat", value: `agent_node_name:${node.metadata.name}` },
        { type: "k8s_psat", value: `agent_node_uid:${node.metadata.uid}` },
        { type: "k8s_psat", value: "agent_ns:spire-system" },
        { type: "k8s_psat", value: `agent_pod_name:${agentPod?.metadata.name ?? ""}` },
        { type: "k8s_psat", value: `agent_pod_uid:${agentPod?.metadata.uid ?? ""}` },
        { type: "k8s_psat", value: "agent_sa:spire-agent" },
        { type: "k8s_psat", value: `cluster:${clusterName}` },
      ],
      banned: false,
      can_reattest: true,
    };
  });

  const entries = meshedPods.map((pod) => {
    const namespace = pod.metadata.namespace ?? "default";
    const serviceAccount = pod.spec?.serviceAccountName ?? "default";
    const parent = agentIds.get(pod.spec?.nodeName ?? "") ?? "";
    return {
      id: randomUUID(),
      spiffe_id: spiffeId(`/ns/${namespace}/sa/${serviceAccount}`),
      parent_id: spiffeId(new URL(parent).pathname),
      selectors: [{ type: "k8s", value: `pod-uid:${pod.metadata.uid}` }],
      x509_svid_ttl: 0,
      federates_with: [],
      hint: "",
      admin: false,
      created_at: unixSeconds(now),
      downstream: false,
      expires_at: "0",
      dns_names: [],
      revision_number: "0",
      store_svid: false,
      jwt_svid_ttl: 0,
    };
  });

  const jwk = (await webcrypto.subtle.exportKey("jwk", ca.keys.publicKey as never)) as JsonWebKey;
  const bundle = {
    keys: [{ use: "x509-svid", kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, x5c: [derBase64(ca.pem)] }],
    spiffe_refresh_hint: 300,
    spiffe_sequence: 1,
  };

  return {
    agentIds,
    outputs: {
      healthcheck: { stdout: "Server is healthy.\n" },
      "agent list -output json": { stdout: `${JSON.stringify({ agents, next_page_token: "" })}\n` },
      "entry show -output json": { stdout: `${JSON.stringify({ entries, next_page_token: "" })}\n` },
      "bundle show -format spiffe": { stdout: `${JSON.stringify(bundle, null, 4)}\n` },
    },
  };
}

/**
 * Mint a SPIRE CA (subject C=US, O=SPIFFE) and the SVID of spiffe://insignia.tech/ns/sre/sa/default
 * it issued five minutes before `now`, with SPIRE's default lifetime of one hour.
 */
export async function mintSpireChain(now: Date): Promise<{ ca: MintedCertificate; svid: MintedCertificate }> {
  const ca = await mintCertificate({
    subject: "C=US, O=SPIFFE",
    isCa: true,
    uriSans: [`spiffe://${EXAMPLE_TRUST_DOMAIN}`],
    notBefore: new Date(now.getTime() - 24 * SVID_LIFETIME_MS),
    notAfter: new Date(now.getTime() + 24 * SVID_LIFETIME_MS),
  });
  const issuedAt = new Date(now.getTime() - 5 * 60_000);
  const svid = await mintCertificate({
    subject: "C=US, O=SPIRE",
    issuer: ca,
    uriSans: [EXAMPLE_SVID],
    notBefore: issuedAt,
    notAfter: new Date(issuedAt.getTime() + SVID_LIFETIME_MS),
  });
  return { ca, svid };
}

/** Answer exec into spire-server-0's spire-server container; anything else exits 1 as a missing binary would. */
export function spireExecHandler(outputs: Record<string, ExecResult>): ExecHandler {
  return (call) => {
    const atServer = call.namespace === SPIRE_NAMESPACE && call.pod === SPIRE_POD && call.container === "spire-server";
    const [binary, ...args] = call.argv;
    const output = atServer && binary === SPIRE_BINARY ? outputs[args.join(" ")] : undefined;
    return output ?? { stderr: `unexpected command ${call.argv.join(" ")}\n`, exitCode: 1 };
  };
}

async function startProbeServer(status: number, headers: Record<string, string>): Promise<ProbeServer> {
  const requests: string[] = [];
  let base = "";
  const server: Server = createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    const extra = status === 302 ? { location: `${base}/realms/insignia/protocol/openid-connect/auth` } : {};
    response.writeHead(status, { "content-type": "text/html", ...headers, ...extra });
    response.end(status === 302 ? "" : "ok\n");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("probe server has no TCP port");
  base = `http://127.0.0.1:${address.port}`;
  return {
    url: base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Copy examples/plan.yaml with each probe URL replaced by its local server's, leaving names,
 * expected statuses and descriptions as they are.
 */
async function writeTestPlan(probes: Record<string, ProbeServer>): Promise<string> {
  let text = await readFile(EXAMPLE_PLAN, "utf8");
  const original = load(text) as { spec: { probes: Array<{ name: string; url: string }> } };
  for (const probe of original.spec.probes) {
    const server = probes[probe.name];
    const answer = PROBE_ANSWERS[probe.name];
    if (!server || !answer) throw new Error(`no stand-in for probe ${probe.name}`);
    text = text.replace(`url: ${probe.url}\n`, `url: ${server.url}${answer.path}\n`);
  }
  const file = join(await mkdtemp(join(tmpdir(), "meshproof-example-plan-")), "plan.yaml");
  await writeFile(file, text);
  return file;
}

/** The MeshConfig istiod would return from /debug/mesh: the `mesh` key of ConfigMap istio-system/istio as JSON. */
export function meshConfigOf(objects: KubeObject[]): Record<string, unknown> {
  const configMap = objects.find(
    (object) =>
      object.kind === "ConfigMap" && object.metadata.namespace === "istio-system" && object.metadata.name === "istio",
  );
  const mesh = configMap?.data?.mesh;
  if (typeof mesh !== "string") throw new Error("the example has no ConfigMap istio-system/istio with a mesh key");
  return load(mesh) as Record<string, unknown>;
}

/**
 * Start the example cluster. `options` go to the fake API server, so a test can narrow RBAC or
 * add faults; by default the fake enforces deploy/rbac.yaml and serves every optional CRD, as a
 * cluster with Istio, SPIRE, the Prometheus operator and External Secrets installed does.
 */
export async function startExampleCluster(options: Partial<FakeApiServerOptions> = {}): Promise<ExampleCluster> {
  const now = new Date();
  const objects = await exampleObjects();
  const pods = objects.filter((object): object is Pod => object.kind === "Pod");
  const meshedPods = pods.filter((pod) => pod.status?.phase === "Running" && isMeshedPod(pod));
  const nodes = objects.filter((object) => object.kind === "Node");

  const { ca, svid } = await mintSpireChain(now);
  const { agentIds, outputs } = await spireServerOutputs({
    nodes,
    pods,
    meshedPods,
    ca,
    now,
    clusterName: EXAMPLE_CONTEXT,
  });

  const envoy = await startEnvoyAdmin({
    chainPem: svid.pem + ca.pem,
    root: { type: "spiffe", trustDomains: [{ name: EXAMPLE_TRUST_DOMAIN, bundlePem: ca.pem }] },
  });
  const istiod = await startIstiodDebug(meshConfigOf(objects));
  const probes: Record<string, ProbeServer> = {};
  for (const [name, answer] of Object.entries(PROBE_ANSWERS)) {
    probes[name] = await startProbeServer(answer.status, answer.headers);
  }
  const planFile = await writeTestPlan(probes);

  const envoyPods = new Set(meshedPods.map((pod) => podKey(pod.metadata.namespace, pod.metadata.name)));
  const istiodPods = new Set(
    pods
      .filter((pod) => pod.metadata.namespace === "istio-system" && pod.metadata.labels?.app === "istiod")
      .map((pod) => podKey(pod.metadata.namespace, pod.metadata.name)),
  );
  const fake = await FakeApiServer.start({
    objects,
    servedKinds: COLLECTED_KINDS.filter((kind) => kind.optional).map((kind) => kind.kind),
    gitVersion: "v1.36.1",
    exec: spireExecHandler(outputs),
    portForward: (call) => {
      const key = podKey(call.namespace, call.pod);
      if (call.port === 15000 && envoyPods.has(key)) return { host: "127.0.0.1", port: envoy.port };
      if (call.port === 15014 && istiodPods.has(key)) return { host: "127.0.0.1", port: istiod.port };
      return undefined;
    },
    ...options,
  });
  const kubeconfig = await fake.writeKubeconfig({ context: EXAMPLE_CONTEXT });

  return {
    fake,
    kubeconfig,
    planFile,
    plan: await loadPlan(planFile),
    objects,
    meshedPods,
    spire: { ca, svid, agentIds, outputs },
    stubs: { envoy, istiod, probes },
    close: async () => {
      // Stand-ins close first, so an audit failure from the fake cannot leave them listening.
      await Promise.all([envoy.close(), istiod.close(), ...Object.values(probes).map((probe) => probe.close())]);
      await fake.close();
    },
  };
}

export interface LiveVerification {
  result: RunResult;
  state: CollectedState;
}

/**
 * Collect from the example cluster and run every check in this process, as `meshproof verify
 * --context` does (collectLive, then credentials masked, then runVerification), with options the CLI
 * does not expose: a pinned clock, page size, retry policy and request timeout.
 */
export async function verifyLive(
  cluster: ExampleCluster,
  options: Partial<LiveCollectOptions> = {},
): Promise<LiveVerification> {
  const state = redactState(
    await collectLive({ kubeconfig: cluster.kubeconfig, context: EXAMPLE_CONTEXT, plan: cluster.plan, ...options }),
  );
  const { result } = runVerification({ state, plan: cluster.plan, planFile: cluster.planFile });
  return { result, state };
}

/**
 * `verdict subject` of every finding, per check id: what two runs must agree on. `sorted` sorts each
 * check's findings, for runs whose objects came in a different order.
 */
export function findingsByCheck(
  result: RunResult,
  options: { sorted?: boolean } = {},
): Map<string, { verdict: string; findings: string[] }> {
  return new Map(
    result.checks.map((check) => {
      const findings = check.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
      return [check.id, { verdict: check.verdict, findings: options.sorted ? findings.sort() : findings }];
    }),
  );
}
