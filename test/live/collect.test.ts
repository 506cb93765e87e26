import * as assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { COLLECTED_KINDS } from "../../src/collect/kinds.js";
import { collectLive, type LiveCollectOptions } from "../../src/collect/live/collect.js";
import type { CollectedState, ServedCertificateEvidence, SpireCliEvidence } from "../../src/collect/types.js";
import { ExitCode, UserError } from "../../src/errors.js";
import type { KubeObject } from "../../src/model/kube.js";
import { meshproof } from "../support/cli.js";
import { startTestCluster, type TestCluster } from "../support/live-cluster.js";
import { ISTIOD_ID, podObject, SPIRE_ID, testPlan } from "../support/live-fixture.js";

const FAST: Partial<LiveCollectOptions> = {
  retry: { baseDelayMs: 20 },
  requestTimeoutMs: 5_000,
  plan: testPlan(),
};

/** Ten extra pods so that pods take several pages. */
function bulkPods(count: number): KubeObject[] {
  return Array.from({ length: count }, (_unused, index) =>
    podObject({ namespace: "batch", name: `filler-${String(index).padStart(2, "0")}`, labels: { app: "filler" } }),
  );
}

function requestsTo(cluster: TestCluster, path: string) {
  return cluster.fake.audit.filter((entry) => entry.path === path);
}

function issueFor(state: CollectedState, resource: string) {
  return state.collectionIssues.find((issue) => issue.resource === resource);
}

describe("collectLive against the fake API server", () => {
  let cluster: TestCluster;
  let state: CollectedState;
  const pageSize = 4;

  before(async () => {
    cluster = await startTestCluster({ extraObjects: bulkPods(10) });
    state = await collectLive({ ...FAST, kubeconfig: cluster.kubeconfig, pageSize });
  });
  after(async () => {
    await cluster.close();
  });

  test("records source, version and live clock", () => {
    assert.equal(state.source.type, "live");
    assert.equal(state.source.description, `kind-meshproof (${cluster.fake.url})`);
    assert.deepEqual(state.kubernetesVersion, { gitVersion: "v1.36.1", source: "version-endpoint" });
    assert.equal(state.capturedAtSource, "live-clock");
    assert.equal(state.live, true);
    assert.ok(state.capturedAt);
    assert.ok(!Number.isNaN(Date.parse(state.capturedAt)));
  });

  test("pages each kind with limit and continue", () => {
    const pods = state.objects.filter((object) => object.kind === "Pod");
    assert.equal(pods.length, 17);
    assert.equal(requestsTo(cluster, "/api/v1/pods").length, Math.ceil(17 / pageSize));
    assert.equal(requestsTo(cluster, "/apis/apps/v1/replicasets").length, 1);
    for (const entry of requestsTo(cluster, "/api/v1/pods")) assert.deepEqual(entry.query.limit, [String(pageSize)]);
    const continued = requestsTo(cluster, "/api/v1/pods").filter((entry) => entry.query.continue);
    assert.equal(continued.length, Math.ceil(17 / pageSize) - 1);
  });

  test("lists every kind once at cluster scope", () => {
    const listPaths = cluster.fake.audit.filter((entry) => entry.verb === "list" && !entry.query.continue);
    assert.ok(listPaths.every((entry) => entry.namespace === undefined));
    for (const kind of COLLECTED_KINDS) {
      const first = listPaths.filter((entry) => entry.resource === kind.plural && entry.group === kind.group);
      assert.ok(first.length >= 1, `${kind.kind} listed`);
      assert.ok(first.length <= kind.versions.length, `${kind.kind}: ${first.length} lists`);
    }
    assert.equal(cluster.fake.audit.filter((entry) => entry.verb === "get" && entry.resource === "pods").length, 0);
  });

  test("adds apiVersion and kind to typed list items", () => {
    const deployment = state.objects.find((object) => object.metadata.name === "mdm-kernel");
    assert.equal(deployment?.apiVersion, "apps/v1");
    assert.equal(deployment?.kind, "Deployment");
    const namespace = state.objects.find((object) => object.metadata.name === "sre" && object.kind === "Namespace");
    assert.equal(namespace?.apiVersion, "v1");
  });

  test("falls back to an older CRD version", () => {
    const peer = state.objects.find((object) => object.kind === "PeerAuthentication");
    assert.equal(peer?.apiVersion, "security.istio.io/v1beta1");
    assert.equal(issueFor(state, "peerauthentications.security.istio.io"), undefined);
    assert.equal(requestsTo(cluster, "/apis/security.istio.io/v1/peerauthentications")[0]?.status, 404);
  });

  test("reports a missing CRD as not-found", () => {
    const issue = issueFor(state, "authorizationpolicies.security.istio.io");
    assert.equal(issue?.reason, "not-found");
    assert.match(issue?.message ?? "", /security\.istio\.io\/v1, security\.istio\.io\/v1beta1/);
    assert.equal(issue?.permission, undefined);
  });

  test("never reads Secrets", () => {
    assert.equal(state.objects.filter((object) => object.kind === "Secret").length, 0);
    const secretRequests = cluster.fake.audit.filter((entry) => entry.group === "" && entry.resource === "secrets");
    assert.deepEqual(secretRequests, []);
  });

  test("sends only reads and allowlisted streams", () => {
    const writes = cluster.fake.audit.filter((entry) =>
      ["create", "update", "patch", "delete", "deletecollection"].includes(entry.verb),
    );
    assert.deepEqual(writes, []);
    assert.ok(cluster.fake.audit.every((entry) => entry.method === "GET"));
    const execs = cluster.fake.audit.filter((entry) => entry.exec);
    assert.deepEqual(
      execs.map((entry) => entry.exec?.argv.slice(1).join(" ")),
      ["healthcheck", "agent list -output json", "entry show -output json", "bundle show -format spiffe"],
    );
    assert.ok(execs.every((entry) => entry.exec?.argv[0] === "/opt/spire/bin/spire-server"));
    assert.ok(execs.every((entry) => entry.exec?.container === "spire-server" && entry.name === "spire-server-0"));
    const forwards = cluster.fake.audit.filter((entry) => entry.portForward);
    assert.ok(forwards.length > 0);
    for (const entry of forwards) {
      const expected = entry.namespace === "istio-system" ? [15014] : [15000];
      assert.deepEqual(entry.portForward?.ports, expected);
    }
    assert.deepEqual(cluster.stubs.spire.requests, ["GET /config_dump?resource=dynamic_active_secrets", "GET /certs"]);
    assert.deepEqual(cluster.stubs.debug.requests, ["GET /debug/mesh"]);
  });

  test("uses the kubeconfig token", () => {
    assert.ok(cluster.fake.audit.every((entry) => entry.token === "test-token"));
  });

  test("runs the allowlisted spire-server commands", () => {
    const spire = state.evidence.filter((item): item is SpireCliEvidence => item.type === "spire-cli");
    assert.deepEqual(
      spire.map((item) => item.id),
      ["spire:healthcheck", "spire:agent-list", "spire:entry-show", "spire:bundle-show"],
    );
    const health = spire[0];
    assert.equal(health?.exitCode, 0);
    assert.equal(health?.stdout, "Server is healthy.\n");
    assert.equal(
      health?.command,
      "kubectl -n spire exec spire-server-0 -c spire-server -- /opt/spire/bin/spire-server healthcheck",
    );
    assert.equal(health?.error, undefined);
    assert.match(spire[1]?.stdout ?? "", /k8s_psat/);
  });

  test("reads istiod's mesh config", () => {
    const mesh = state.evidence.find((item) => item.type === "istiod-debug-mesh");
    assert.equal(mesh?.type, "istiod-debug-mesh");
    if (mesh?.type !== "istiod-debug-mesh") return;
    assert.equal(mesh.pod, "istiod-6b7c9d-q4x2z");
    assert.equal(mesh.mesh?.trustDomain, "insignia.tech");
    assert.equal(mesh.error, undefined);
  });

  test("reads served certificates per workload", () => {
    const certs = state.evidence.filter(
      (item): item is ServedCertificateEvidence => item.type === "served-certificate",
    );
    assert.deepEqual(
      certs.map((item) => `${item.workload} ${item.pod}`),
      [
        "Deployment sre/legacy-api legacy-api-5c8b-xyz12",
        "Deployment sre/mdm-kernel mdm-kernel-7d9f-abcde",
        "StatefulSet sre/old-worker old-worker-0",
      ],
    );

    const spire = certs[1];
    assert.equal(spire?.error, undefined);
    assert.equal(spire?.chain[0]?.subject, "C=US, O=SPIRE");
    assert.equal(spire?.chain[0]?.issuer, "C=US, O=SPIFFE");
    assert.deepEqual(spire?.chain[0]?.uriSans, [SPIRE_ID]);
    assert.equal(spire?.chain[0]?.isCa, false);
    assert.equal(spire?.chain[1]?.isCa, true);
    assert.equal(spire?.validationContext, "spiffe-validator");
    assert.deepEqual(spire?.trustDomains, ["insignia.tech"]);
    assert.match(spire?.output ?? "", /"cert_chain"/);

    const istiod = certs[0];
    assert.equal(istiod?.chain[0]?.subject, "");
    assert.equal(istiod?.chain[0]?.issuer, "O=cluster.local");
    assert.deepEqual(istiod?.chain[0]?.uriSans, [ISTIOD_ID]);
    assert.equal(istiod?.validationContext, "trusted-ca");

    const expired = certs[2];
    assert.ok(Date.parse(expired?.chain[0]?.validTo ?? "") < Date.now());
  });

  test("keeps no PEM or key material in evidence", () => {
    const text = JSON.stringify(state.evidence);
    assert.doesNotMatch(text, /BEGIN CERTIFICATE|PRIVATE KEY|\[redacted\]|W3JlZGFjdGVkXQ==/);
  });

  test("keeps secretKeyRef env as a reference", () => {
    const kernel = state.objects.find((object) => object.metadata.name === "mdm-kernel-7d9f-abcde");
    const env = kernel?.spec?.containers?.[0]?.env;
    assert.deepEqual(env?.[1], {
      name: "DB_PASSWORD",
      valueFrom: { secretKeyRef: { name: "db-credentials", key: "password" } },
    });
  });
});

describe("collectLive authentication", () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster({ tokens: ["test-token", "from-exec-plugin"] });
  });
  after(async () => {
    await cluster.close();
  });

  test("exec credential plugin supplies the token", async () => {
    const directory = await mkdtemp(join(tmpdir(), "meshproof-plugin-"));
    const plugin = join(directory, "plugin.mjs");
    await writeFile(
      plugin,
      [
        "const expirationTimestamp = new Date(Date.now() + 3600000).toISOString();",
        "const status = { token: 'from-exec-plugin', expirationTimestamp };",
        "const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status };",
        "process.stdout.write(JSON.stringify(credential));",
      ].join("\n"),
    );
    const kubeconfig = await cluster.fake.writeKubeconfig({
      context: "exec-user",
      exec: { command: process.execPath, args: [plugin] },
    });
    cluster.fake.clearAudit();
    const state = await collectLive({ ...FAST, kubeconfig });
    assert.equal(state.source.description.startsWith("exec-user ("), true);
    assert.ok(cluster.fake.audit.length > 0);
    assert.ok(cluster.fake.audit.every((entry) => entry.token === "from-exec-plugin"));
    assert.equal(state.evidence.filter((item) => item.error).length, 0);
  });

  test("rejected token exits 3 with 401", async () => {
    const kubeconfig = await cluster.fake.writeKubeconfig({ context: "bad-token", token: "wrong" });
    await assert.rejects(collectLive({ ...FAST, kubeconfig }), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.exitCode, ExitCode.clusterUnreachable);
      assert.match(error.message, /401 Unauthorized/);
      assert.match(error.message, /"bad-token"/);
      assert.doesNotMatch(error.message, /wrong/);
      return true;
    });
  });

  test("unknown context is a usage error", async () => {
    await assert.rejects(
      collectLive({ ...FAST, kubeconfig: cluster.kubeconfig, context: "nope" }),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.exitCode, ExitCode.invalidInput);
        assert.match(error.message, /context "nope" not found .*Available contexts: kind-meshproof/);
        return true;
      },
    );
  });

  test("in-cluster service account", async () => {
    const root = await mkdtemp(join(tmpdir(), "meshproof-incluster-"));
    const accountDirectory = join(root, "var/run/secrets/kubernetes.io/serviceaccount");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(accountDirectory, { recursive: true });
    await writeFile(join(accountDirectory, "token"), "test-token");
    await writeFile(join(accountDirectory, "ca.crt"), cluster.fake.pki.caPem);
    await writeFile(join(accountDirectory, "namespace"), "meshproof");
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    process.env.KUBERNETES_SERVICE_HOST = "127.0.0.1";
    process.env.KUBERNETES_SERVICE_PORT = new URL(cluster.fake.url).port;
    try {
      const state = await collectLive({ ...FAST, inCluster: true, inClusterPathPrefix: root });
      assert.equal(state.source.description, `in-cluster (${cluster.fake.url})`);
      assert.ok(state.objects.some((object) => object.kind === "Pod"));
    } finally {
      if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.host;
      if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.port;
    }
  });
});

describe("collectLive failures", () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster.close();
  });

  async function collectWithFaults(options: Partial<LiveCollectOptions> = {}): Promise<CollectedState> {
    cluster.fake.clearAudit();
    try {
      return await collectLive({ ...FAST, kubeconfig: cluster.kubeconfig, ...options });
    } finally {
      cluster.fake.clearFaults();
    }
  }

  test("429 with Retry-After then success", async () => {
    cluster.fake.addFault({
      path: "/api/v1/pods",
      times: 1,
      action: { type: "status", status: 429, retryAfterSeconds: 1 },
    });
    const started = Date.now();
    const state = await collectWithFaults();
    const pods = requestsTo(cluster, "/api/v1/pods");
    assert.deepEqual(
      pods.map((entry) => entry.status),
      [429, 200],
    );
    assert.ok(Date.now() - started >= 1000, "waited for Retry-After");
    assert.equal(issueFor(state, "pods"), undefined);
    assert.ok(state.objects.some((object) => object.kind === "Pod"));
  });

  test("single 500 is retried", async () => {
    cluster.fake.addFault({ path: "/apis/apps/v1/deployments", times: 1, action: { type: "status", status: 500 } });
    const state = await collectWithFaults();
    assert.deepEqual(
      requestsTo(cluster, "/apis/apps/v1/deployments").map((entry) => entry.status),
      [500, 200],
    );
    assert.equal(state.objects.filter((object) => object.kind === "Deployment").length, 2);
    assert.equal(issueFor(state, "deployments.apps"), undefined);
  });

  test("persistent 500 becomes server-error", async () => {
    cluster.fake.addFault({ path: "/apis/apps/v1/deployments", action: { type: "status", status: 500 } });
    const state = await collectWithFaults();
    assert.equal(requestsTo(cluster, "/apis/apps/v1/deployments").length, 4);
    const issue = issueFor(state, "deployments.apps");
    assert.equal(issue?.reason, "server-error");
    assert.match(issue?.message ?? "", /HTTP 500: injected 500 \(after 4 attempts\)/);
    assert.ok(
      state.objects.some((object) => object.kind === "Pod"),
      "the run went on",
    );
  });

  test("hung request becomes timeout", async () => {
    cluster.fake.addFault({ path: "/apis/apps/v1/statefulsets", action: { type: "hang" } });
    const state = await collectWithFaults({ requestTimeoutMs: 300 });
    const issue = issueFor(state, "statefulsets.apps");
    assert.equal(issue?.reason, "timeout");
    assert.equal(
      issue?.message,
      "list statefulsets.apps timed out after 0.3 s. Raise --request-timeout SECONDS if the API server is slow.",
    );
    assert.equal(requestsTo(cluster, "/apis/apps/v1/statefulsets").length, 1);
  });

  test("hung /version exits 3 with the timeout", async () => {
    cluster.fake.addFault({ path: "/version", action: { type: "hang" } });
    try {
      await assert.rejects(
        collectLive({ ...FAST, kubeconfig: cluster.kubeconfig, requestTimeoutMs: 300 }),
        (error: unknown) => {
          assert.ok(error instanceof UserError);
          assert.equal(error.exitCode, ExitCode.clusterUnreachable);
          assert.equal(
            error.message,
            `cannot read the Kubernetes API server of context "kind-meshproof" at ${cluster.fake.url}: ` +
              "GET /version timed out after 0.3 s. Raise --request-timeout SECONDS if the API server is slow, " +
              'or check the context with "kubectl --context kind-meshproof version".',
          );
          return true;
        },
      );
    } finally {
      cluster.fake.clearFaults();
    }
  });

  test("CLI exits 3 when /version hangs", async () => {
    cluster.fake.addFault({ path: "/version", action: { type: "hang" } });
    try {
      const run = await meshproof("verify", "--kubeconfig", cluster.kubeconfig, "--request-timeout", "0.5");
      assert.equal(run.code, ExitCode.clusterUnreachable, run.stderr);
      assert.equal(
        run.stderr,
        `meshproof: cannot read the Kubernetes API server of context "kind-meshproof" at ${cluster.fake.url}: ` +
          "GET /version timed out after 0.5 s. Raise --request-timeout SECONDS if the API server is slow, " +
          'or check the context with "kubectl --context kind-meshproof version".\n',
      );
    } finally {
      cluster.fake.clearFaults();
    }
  });

  test("dropped connection becomes connection-dropped", async () => {
    cluster.fake.addFault({ path: "/apis/batch/v1/jobs", action: { type: "drop" } });
    cluster.fake.addFault({ path: "/apis/batch/v1/cronjobs", action: { type: "drop-mid-response" } });
    const state = await collectWithFaults();
    assert.equal(issueFor(state, "jobs.batch")?.reason, "connection-dropped");
    assert.equal(issueFor(state, "cronjobs.batch")?.reason, "connection-dropped");
    assert.equal(requestsTo(cluster, "/apis/batch/v1/jobs").length, 4);
  });

  test("dropped connection once is retried", async () => {
    cluster.fake.addFault({ path: "/api/v1/namespaces", times: 1, action: { type: "drop-mid-response" } });
    const state = await collectWithFaults();
    assert.equal(issueFor(state, "namespaces"), undefined);
    assert.equal(state.objects.filter((object) => object.kind === "Namespace").length, 3);
  });

  test("slow path within the timeout succeeds", async () => {
    cluster.fake.addFault({ path: "/api/v1/nodes", action: { type: "latency", ms: 150 } });
    const state = await collectWithFaults({ requestTimeoutMs: 1000 });
    assert.equal(issueFor(state, "nodes"), undefined);
  });

  test("plan probes come first in evidence", async () => {
    const server = createHttpServer((_request, response) => {
      response.writeHead(200, { server: "istio-envoy" });
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 1;
    try {
      const plan = testPlan([
        { name: "kernel-public", url: `http://127.0.0.1:${port}/healthz`, expectedStatus: 200, description: "kernel" },
      ]);
      const state = await collectWithFaults({ plan });
      const first = state.evidence[0];
      assert.equal(first?.type, "http-probe");
      assert.equal(first?.id, "probe:kernel-public");
      if (first?.type === "http-probe") assert.equal(first.status, 200);
    } finally {
      server.close();
    }
  });

  test("unreachable server exits 3 naming context and server", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const port = typeof address === "object" && address ? address.port : 1;
    const server = `https://127.0.0.1:${port}`;
    const kubeconfig = await cluster.fake.writeKubeconfig({ context: "gone", server });
    await assert.rejects(
      collectLive({ ...FAST, kubeconfig, retry: { baseDelayMs: 5, maxAttempts: 2 } }),
      (error: unknown) => {
        assert.ok(error instanceof UserError);
        assert.equal(error.exitCode, ExitCode.clusterUnreachable);
        assert.match(error.message, /context "gone"/);
        assert.ok(error.message.includes(server));
        assert.match(error.message, /ECONNREFUSED/);
        assert.match(
          error.message,
          /\(after 2 attempts\)\. Check the context with "kubectl --context gone version"\.$/,
        );
        return true;
      },
    );
  });
});
