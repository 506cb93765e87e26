import * as assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { collectLive, type LiveCollectOptions } from "../../src/collect/live/collect.js";
import type { CollectedState, ServedCertificateEvidence, SpireCliEvidence } from "../../src/collect/types.js";
import { ExitCode, UserError } from "../../src/errors.js";
import { FakeApiServer, type KubeconfigOptions } from "../support/fake-apiserver.js";
import { startTestCluster, type TestCluster } from "../support/live-cluster.js";
import { namespaceObject, podObject, testPlan } from "../support/live-fixture.js";
import { type ClientCredential, mintCertificate, mintClientCredential } from "../support/pki.js";

const FAST: Partial<LiveCollectOptions> = { retry: { baseDelayMs: 20 }, requestTimeoutMs: 5_000 };

const USER = "meshproof-reader";
const GROUPS = ["meshproof-readers", "platform-audit"];

interface ClientPki {
  /** PEM of the CA the fake API server trusts for client certificates. */
  caPem: string;
  trusted: ClientCredential;
  /** A certificate with the same subject, signed by a CA the server does not trust. */
  untrusted: ClientCredential;
}

async function mintClientPki(): Promise<ClientPki> {
  const ca = await mintCertificate({ subject: "CN=meshproof test client CA", isCa: true });
  const otherCa = await mintCertificate({ subject: "CN=meshproof test client CA", isCa: true });
  return {
    caPem: ca.pem,
    trusted: await mintClientCredential(ca, USER, GROUPS),
    untrusted: await mintClientCredential(otherCa, USER, GROUPS),
  };
}

/** Write the kubeconfig to `directory`, so relative certificate paths resolve there. */
async function writeKubeconfigIn(directory: string, fake: FakeApiServer, options: KubeconfigOptions): Promise<string> {
  const file = join(directory, "config");
  await writeFile(file, fake.kubeconfig(options), { mode: 0o600 });
  return file;
}

/** Write the credential's certificate and key as PEM files in a new temporary directory. */
async function writeCredentialFiles(credential: ClientCredential) {
  const directory = await mkdtemp(join(tmpdir(), "meshproof-client-cert-"));
  await writeFile(join(directory, "client.crt"), credential.certPem);
  await writeFile(join(directory, "client.key"), credential.keyPem, { mode: 0o600 });
  return { directory, certFile: join(directory, "client.crt"), keyFile: join(directory, "client.key") };
}

/** Send GET /version to the fake, without a client certificate or token, and return the status and body. */
async function getVersionAnonymously(fake: FakeApiServer): Promise<{ status: number; body: string }> {
  return await new Promise((resolve, reject) => {
    const call = request(`${fake.url}/version`, { ca: fake.pki.caPem }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    call.on("error", reject);
    call.end();
  });
}

function listedKinds(state: CollectedState): string[] {
  return [...new Set(state.objects.map((object) => object.kind))].sort();
}

describe("collectLive with a client certificate", () => {
  let pki: ClientPki;
  let fake: FakeApiServer;

  before(async () => {
    pki = await mintClientPki();
    fake = await FakeApiServer.start({
      objects: [namespaceObject("sre"), podObject({ namespace: "sre", name: "web-0", labels: { app: "web" } })],
      clientCaPem: pki.caPem,
    });
  });
  after(async () => {
    await fake.close();
  });

  test("inline certificate data lists objects", async () => {
    const kubeconfig = await fake.writeKubeconfig({ context: "cert-inline", clientCertificate: pki.trusted });
    const text = await readFile(kubeconfig, "utf8");
    // Checked with assert.ok, not assert.match, so a failure never prints the key in the file.
    assert.ok(text.includes('"client-certificate-data"'), "the kubeconfig sets client-certificate-data");
    assert.ok(text.includes('"client-key-data"'), "the kubeconfig sets client-key-data");
    assert.ok(!text.includes('"token"'), "the kubeconfig sets no token");

    fake.clearAudit();
    const state = await collectLive({ ...FAST, kubeconfig });

    assert.equal(state.source.description, `cert-inline (${fake.url})`);
    assert.deepEqual(state.kubernetesVersion, { gitVersion: "v1.36.1", source: "version-endpoint" });
    assert.deepEqual(listedKinds(state), ["Namespace", "Pod"]);
    assert.equal(state.objects.find((object) => object.kind === "Pod")?.metadata.name, "web-0");
    const failedLists = state.collectionIssues.filter((issue) => issue.reason !== "not-found");
    assert.deepEqual(failedLists, []);
  });

  test("audit log records the certificate CN", async () => {
    const kubeconfig = await fake.writeKubeconfig({ context: "cert-audit", clientCertificate: pki.trusted });
    fake.clearAudit();
    await collectLive({ ...FAST, kubeconfig });

    assert.ok(fake.audit.length > 0);
    const version = fake.audit.find((entry) => entry.path === "/version");
    assert.equal(version?.status, 200);
    assert.equal(version?.user, USER);
    assert.deepEqual(version?.groups, GROUPS);
    const pods = fake.audit.find((entry) => entry.path === "/api/v1/pods");
    assert.equal(pods?.status, 200);
    assert.equal(pods?.user, USER);
    for (const entry of fake.audit) {
      assert.equal(entry.user, USER, `${entry.path} user`);
      assert.equal(entry.token, undefined, `${entry.path} token`);
      assert.notEqual(entry.status, 401, `${entry.path} status`);
    }
  });

  test("certificate and key files by absolute path", async () => {
    const files = await writeCredentialFiles(pki.trusted);
    const kubeconfig = await fake.writeKubeconfig({
      context: "cert-files",
      clientCertificate: { certFile: files.certFile, keyFile: files.keyFile },
    });
    fake.clearAudit();
    const state = await collectLive({ ...FAST, kubeconfig });

    assert.deepEqual(listedKinds(state), ["Namespace", "Pod"]);
    assert.ok(fake.audit.length > 0);
    assert.ok(fake.audit.every((entry) => entry.user === USER && entry.token === undefined));
  });

  test("relative file paths resolve against the kubeconfig", async () => {
    const files = await writeCredentialFiles(pki.trusted);
    const kubeconfig = await writeKubeconfigIn(files.directory, fake, {
      context: "cert-relative",
      clientCertificate: { certFile: "client.crt", keyFile: "client.key" },
    });
    fake.clearAudit();
    const state = await collectLive({ ...FAST, kubeconfig });

    assert.deepEqual(listedKinds(state), ["Namespace", "Pod"]);
    assert.ok(fake.audit.length > 0);
    assert.ok(fake.audit.every((entry) => entry.user === USER));
  });

  test("untrusted CA exits 3 with 401", async () => {
    const kubeconfig = await fake.writeKubeconfig({ context: "cert-untrusted", clientCertificate: pki.untrusted });
    fake.clearAudit();
    await assert.rejects(collectLive({ ...FAST, kubeconfig }), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.exitCode, ExitCode.clusterUnreachable);
      // No Status message follows "credentials", because client-node 1.4's VersionApi drops the 401 body.
      assert.equal(
        error.message,
        `cannot read the Kubernetes API server of context "cert-untrusted" at ${fake.url}: ` +
          "401 Unauthorized: the API server rejected the credentials. " +
          'Check the context with "kubectl --context cert-untrusted version".',
      );
      return true;
    });
    assert.deepEqual(
      fake.audit.map((entry) => `${entry.path} ${entry.status} ${entry.user ?? "(none)"}`),
      ["/version 401 (none)"],
    );
  });

  test("untrusted certificate files exit 3", async () => {
    const files = await writeCredentialFiles(pki.untrusted);
    const kubeconfig = await fake.writeKubeconfig({
      context: "cert-untrusted-files",
      clientCertificate: { certFile: files.certFile, keyFile: files.keyFile },
    });
    await assert.rejects(collectLive({ ...FAST, kubeconfig }), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.exitCode, ExitCode.clusterUnreachable);
      assert.match(error.message, /^cannot read the Kubernetes API server of context "cert-untrusted-files" at /);
      assert.match(error.message, /401 Unauthorized: the API server rejected the credentials/);
      return true;
    });
  });

  test("request without certificate or token gets 401", async () => {
    fake.clearAudit();
    const response = await getVersionAnonymously(fake);

    assert.equal(response.status, 401);
    assert.equal(JSON.parse(response.body).reason, "Unauthorized");
    assert.equal(fake.audit[0]?.user, undefined);
  });

  test("bearer token still authenticates", async () => {
    const kubeconfig = await fake.writeKubeconfig({ context: "token-user" });
    fake.clearAudit();
    const state = await collectLive({ ...FAST, kubeconfig });

    assert.deepEqual(listedKinds(state), ["Namespace", "Pod"]);
    assert.ok(fake.audit.every((entry) => entry.token === "test-token"));
    assert.ok(fake.audit.every((entry) => entry.user === "system:serviceaccount:meshproof:meshproof"));
    assert.ok(fake.audit.every((entry) => entry.groups === undefined));
  });
});

describe("client certificate on exec and port-forward", () => {
  let pki: ClientPki;
  let cluster: TestCluster;
  let state: CollectedState;

  before(async () => {
    pki = await mintClientPki();
    cluster = await startTestCluster({ clientCaPem: pki.caPem });
    const kubeconfig = await cluster.fake.writeKubeconfig({ context: "cert-streams", clientCertificate: pki.trusted });
    cluster.fake.clearAudit();
    state = await collectLive({ ...FAST, plan: testPlan(), kubeconfig });
  });
  after(async () => {
    await cluster.close();
  });

  test("spire-server exec authenticates", () => {
    const execs = cluster.fake.audit.filter((entry) => entry.exec);
    assert.equal(execs.length, 4);
    for (const entry of execs) {
      assert.equal(entry.status, 101);
      assert.equal(entry.user, USER);
    }
    const spire = state.evidence.filter((item): item is SpireCliEvidence => item.type === "spire-cli");
    assert.deepEqual(
      spire.map((item) => item.exitCode),
      [0, 0, 0, 0],
    );
    assert.equal(spire[0]?.stdout, "Server is healthy.\n");
  });

  test("port-forward authenticates", () => {
    const forwards = cluster.fake.audit.filter((entry) => entry.portForward);
    assert.ok(forwards.length > 0);
    for (const entry of forwards) {
      assert.equal(entry.status, 101);
      assert.equal(entry.user, USER);
    }
    const certs = state.evidence.filter(
      (item): item is ServedCertificateEvidence => item.type === "served-certificate",
    );
    assert.equal(certs.length, 3);
    assert.deepEqual(
      certs.filter((item) => item.error),
      [],
    );
    const mesh = state.evidence.find((item) => item.type === "istiod-debug-mesh");
    assert.equal(mesh?.error, undefined);
  });

  test("every request carries the certificate user", () => {
    assert.ok(cluster.fake.audit.length > 0);
    for (const entry of cluster.fake.audit) {
      assert.equal(entry.user, USER, `${entry.path} user`);
      assert.equal(entry.token, undefined, `${entry.path} token`);
    }
  });
});
