import * as assert from "node:assert/strict";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { collectLive } from "../../src/collect/live/collect.js";
import { REDACTED_PRIVATE_KEY, writeSnapshot } from "../../src/collect/snapshot-writer.js";
import { type CollectedState, emptyInputReport, SNAPSHOT_FORMAT } from "../../src/collect/types.js";
import { UserError } from "../../src/errors.js";
import { startTestCluster, type TestCluster } from "../support/live-cluster.js";
import { testPlan } from "../support/live-fixture.js";

async function readBack(file: string): Promise<{ text: string; state: CollectedState }> {
  const text = gunzipSync(await readFile(file)).toString("utf8");
  return { text, state: JSON.parse(text) as CollectedState };
}

describe("writeSnapshot", () => {
  let cluster: TestCluster;
  let state: CollectedState;
  let directory: string;

  before(async () => {
    cluster = await startTestCluster({ tokens: ["tkn-5f1c9a7e-secret-token"] });
    const kubeconfig = await cluster.fake.writeKubeconfig({ token: "tkn-5f1c9a7e-secret-token" });
    state = await collectLive({ kubeconfig, plan: testPlan(), retry: { baseDelayMs: 10 } });
    directory = await mkdtemp(join(tmpdir(), "meshproof-snapshot-"));
  });
  after(async () => {
    await cluster.close();
  });

  test("round-trips through gunzip and JSON.parse", async () => {
    const file = join(directory, "live.json.gz");
    const result = await writeSnapshot(state, file);
    const { state: restored } = await readBack(file);
    assert.deepEqual(restored, state);
    assert.equal(restored.format, SNAPSHOT_FORMAT);
    assert.equal(result.bytes, (await stat(file)).size);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test("holds no Secret, token or key material", async () => {
    const file = join(directory, "clean.json.gz");
    await writeSnapshot(state, file);
    const { text, state: restored } = await readBack(file);
    assert.equal(restored.objects.filter((object) => object.kind === "Secret").length, 0);
    assert.doesNotMatch(text, /tkn-5f1c9a7e-secret-token/);
    assert.doesNotMatch(text, /"kind":"Secret"/);
    assert.doesNotMatch(text, /aHVudGVyMg==/, "the Secret's base64 data");
    assert.doesNotMatch(text, /PRIVATE KEY|BEGIN CERTIFICATE|certificate-authority-data|client-key/);
    assert.match(text, /"secretKeyRef":\{"name":"db-credentials","key":"password"\}/);
  });

  test("drops Secrets and stray fields a caller added", async () => {
    const tainted = {
      ...state,
      objects: [
        ...state.objects,
        { apiVersion: "v1", kind: "Secret", metadata: { name: "leak", namespace: "sre" }, data: { a: "b" } },
      ],
      kubeconfig: "apiVersion: v1\nusers: [{user: {token: tkn-stray}}]",
    } as CollectedState;
    const file = join(directory, "tainted.json.gz");
    const result = await writeSnapshot(tainted, file);
    const { text, state: restored } = await readBack(file);
    assert.equal(result.secretsDropped, 1);
    assert.equal(restored.input.secretsDropped, 1);
    assert.doesNotMatch(text, /leak|tkn-stray|kubeconfig/);
  });

  test("removes private key blocks from objects", async () => {
    const key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n";
    const withKey: CollectedState = {
      format: SNAPSHOT_FORMAT,
      source: { type: "live", description: "test" },
      live: true,
      objects: [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "tls", namespace: "x" }, data: { key } }],
      evidence: [],
      collectionIssues: [],
      input: emptyInputReport(),
    };
    const file = join(directory, "key.json.gz");
    const result = await writeSnapshot(withKey, file);
    const { state: restored, text } = await readBack(file);
    assert.equal(result.privateKeysRemoved, 1);
    assert.equal(restored.objects[0]?.data?.key, `${REDACTED_PRIVATE_KEY}\n`);
    assert.doesNotMatch(text, /MIIEowIBAAKCAQEA/);
  });

  test("unwritable path is a UserError", async () => {
    await assert.rejects(writeSnapshot(state, join(directory, "missing/dir/x.json.gz")), UserError);
  });
});
