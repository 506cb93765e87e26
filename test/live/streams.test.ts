import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type ClusterTarget,
  type KubernetesClientModule,
  loadClusterTarget,
  loadKubernetesClient,
} from "../../src/collect/live/client.js";
import { DisallowedCommandError, runSpireServerCommand } from "../../src/collect/live/exec.js";
import {
  DisallowedAdminRequestError,
  getThroughPortForward,
  PortForwardFailure,
} from "../../src/collect/live/port-forward.js";
import type { ExecCall, ExecResult } from "../support/fake-apiserver.js";
import { startTestCluster, type TestCluster } from "../support/live-cluster.js";

const clock = () => new Date();
const spireServer = { namespace: "spire", pod: "spire-server-0" };

describe("exec and port-forward streams", () => {
  let cluster: TestCluster;
  let client: KubernetesClientModule;
  let target: ClusterTarget;
  let execHandler: ((call: ExecCall) => ExecResult | Promise<ExecResult>) | undefined;

  before(async () => {
    cluster = await startTestCluster({
      exec: (call) => (execHandler ? execHandler(call) : { stdout: "ok\n" }),
    });
    client = await loadKubernetesClient();
    target = loadClusterTarget(client, { kubeconfig: cluster.kubeconfig });
  });
  after(async () => {
    await cluster.close();
  });

  test("disallowed spire-server command never reaches the server", async () => {
    cluster.fake.clearAudit();
    await assert.rejects(
      runSpireServerCommand(client, target.config, spireServer, ["entry", "delete", "-entryID", "x"], 1000, clock),
      DisallowedCommandError,
    );
    assert.deepEqual(cluster.fake.audit, []);
  });

  test("disallowed admin path never opens a forward", async () => {
    cluster.fake.clearAudit();
    const pod = { namespace: "sre", pod: "mdm-kernel-7d9f-abcde", port: 15000 };
    await assert.rejects(
      getThroughPortForward(client, target.config, pod, ["/certs", "/quitquitquit"], 1000),
      DisallowedAdminRequestError,
    );
    assert.deepEqual(cluster.fake.audit, []);
    assert.deepEqual(cluster.stubs.spire.requests, []);
  });

  test("non-zero exit is recorded, not an error", async () => {
    execHandler = () => ({ stdout: "", stderr: "Agent is unhealthy: unable to connect\n", exitCode: 1 });
    const evidence = await runSpireServerCommand(client, target.config, spireServer, ["healthcheck"], 5000, clock);
    execHandler = undefined;
    assert.equal(evidence.exitCode, 1);
    assert.equal(evidence.stderr, "Agent is unhealthy: unable to connect\n");
    assert.equal(evidence.output, "Agent is unhealthy: unable to connect\n");
    assert.equal(evidence.error, undefined);
  });

  test("stdout and stderr are kept apart and masked", async () => {
    execHandler = () => ({
      stdout: '{"datastore":"postgres://spire:s3cret@db.test:5432/spire"}\n',
      stderr: "warning: password=hunter2\n",
    });
    const evidence = await runSpireServerCommand(client, target.config, spireServer, ["healthcheck"], 5000, clock);
    execHandler = undefined;
    assert.equal(evidence.stdout, '{"datastore":"postgres://spire:****@db.test:5432/spire"}\n');
    assert.equal(evidence.stderr, "warning: password=****\n");
    assert.doesNotMatch(JSON.stringify(evidence), /s3cret|hunter2/);
  });

  test("exec that never finishes times out", async () => {
    execHandler = () => new Promise<ExecResult>(() => {});
    const evidence = await runSpireServerCommand(client, target.config, spireServer, ["healthcheck"], 300, clock);
    execHandler = undefined;
    assert.equal(evidence.error?.reason, "timeout");
    assert.match(evidence.error?.message ?? "", /timed out after 300 ms/);
  });

  test("exec into a missing pod is not-found", async () => {
    const missing = { namespace: "spire", pod: "spire-server-9" };
    const evidence = await runSpireServerCommand(client, target.config, missing, ["healthcheck"], 5000, clock);
    assert.equal(evidence.error?.reason, "not-found");
  });

  test("port-forward with nothing listening explains why", async () => {
    const pod = { namespace: "sre", pod: "redis-0", port: 15000 };
    await assert.rejects(getThroughPortForward(client, target.config, pod, ["/certs"], 2000), (error: unknown) => {
      assert.ok(error instanceof PortForwardFailure);
      assert.equal(error.failure.reason, "unreachable");
      assert.match(error.message, /port-forward to sre\/redis-0:15000 failed: .*connection refused/);
      return true;
    });
  });

  test("port-forward reads both Envoy paths in order", async () => {
    const pod = { namespace: "sre", pod: "mdm-kernel-7d9f-abcde", port: 15000 };
    const before = cluster.stubs.spire.requests.length;
    const responses = await getThroughPortForward(
      client,
      target.config,
      pod,
      ["/config_dump?resource=dynamic_active_secrets", "/certs"],
      2000,
    );
    assert.deepEqual(
      responses.map((response) => `${response.status} ${response.path}`),
      ["200 /config_dump?resource=dynamic_active_secrets", "200 /certs"],
    );
    assert.match(responses[0]?.body ?? "", /"ROOTCA"/);
    assert.deepEqual(cluster.stubs.spire.requests.slice(before), [
      "GET /config_dump?resource=dynamic_active_secrets",
      "GET /certs",
    ]);
  });
});
