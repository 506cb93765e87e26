import * as assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { type KubernetesClientModule, loadKubernetesClient } from "../../src/collect/live/client.js";
import { DisallowedCommandError, runSpireServerCommand } from "../../src/collect/live/exec.js";
import { type ClusterTarget, loadClusterTarget } from "../../src/collect/live/kubeconfig.js";
import {
  DisallowedAdminRequestError,
  getThroughPortForward,
  PortForwardFailure,
} from "../../src/collect/live/port-forward.js";
import { type ExecCall, type ExecResult, FakeApiServer } from "../support/fake-apiserver.js";
import { startTestCluster, type TestCluster } from "../support/live-cluster.js";
import { clusterObjects } from "../support/live-fixture.js";

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

describe("port-forward to a pod that never answers", () => {
  let fake: FakeApiServer;
  let silent: Server;
  const openSockets = new Set<Socket>();
  let target: ClusterTarget;

  before(async () => {
    // Accepts connections and never writes, like an Envoy admin port stuck under load.
    silent = createServer((socket) => {
      openSockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    fake = await FakeApiServer.start({ objects: clusterObjects(), portForward: () => ({ host: "127.0.0.1", port }) });
    target = loadClusterTarget(await loadKubernetesClient(), { kubeconfig: await fake.writeKubeconfig() });
  });
  after(async () => {
    await fake.close();
    for (const socket of openSockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  test("GET times out naming --request-timeout", async () => {
    const client = await loadKubernetesClient();
    const pod = { namespace: "sre", pod: "mdm-kernel-7d9f-abcde", port: 15000 };
    await assert.rejects(getThroughPortForward(client, target.config, pod, ["/certs"], 300), (error: unknown) => {
      assert.ok(error instanceof PortForwardFailure);
      assert.equal(error.failure.reason, "timeout");
      assert.equal(
        error.failure.message,
        "GET /certs through port-forward to sre/mdm-kernel-7d9f-abcde:15000 timed out after 0.3 s. Raise --request-timeout SECONDS if the pod is slow to respond.",
      );
      return true;
    });
  });
});
