import * as assert from "node:assert/strict";
import { request } from "node:https";
import { after, before, describe, test } from "node:test";
import { loadKubernetesClient } from "../../src/collect/live/client.js";
import { DEFAULT_RETRY_POLICY } from "../../src/collect/live/failures.js";
import { loadClusterTarget } from "../../src/collect/live/kubeconfig.js";
import { listKind } from "../../src/collect/live/list.js";
import { FakeApiServer } from "../support/fake-apiserver.js";
import { clusterObjects, podObject } from "../support/live-fixture.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are JSON the assertions walk freely
  body: any;
}

function call(fake: FakeApiServer, path: string, options: { method?: string; token?: string | null } = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.token !== null) headers.authorization = `Bearer ${options.token ?? "test-token"}`;
    const outgoing = request(
      `${fake.url}${path}`,
      { method: options.method ?? "GET", ca: fake.pki.caPem, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}

const names = (reply: Reply) =>
  (reply.body.items as Array<{ metadata: { name: string } }>).map((item) => item.metadata.name);

describe("fake API server", () => {
  let fake: FakeApiServer;
  before(async () => {
    // These tests read objects by name, which deploy/rbac.yaml does not grant, so RBAC is off here.
    fake = await FakeApiServer.start({
      objects: [
        ...clusterObjects(),
        podObject({ namespace: "sre", name: "canary-1", labels: { app: "mdm-kernel", track: "canary" } }),
      ],
      rbac: "allow-all",
    });
  });
  after(async () => {
    await fake.close();
  });

  test("rejects a missing or unknown token with 401", async () => {
    assert.equal((await call(fake, "/version", { token: null })).status, 401);
    const reply = await call(fake, "/api/v1/pods", { token: "nope" });
    assert.equal(reply.status, 401);
    assert.equal(reply.body.reason, "Unauthorized");
  });

  test("serves /version", async () => {
    const reply = await call(fake, "/version");
    assert.equal(reply.body.gitVersion, "v1.36.1");
    assert.equal(reply.body.minor, "36");
  });

  test("serves discovery for served kinds", async () => {
    assert.deepEqual((await call(fake, "/api")).body.versions, ["v1"]);
    const groups = (await call(fake, "/apis")).body.groups as Array<{
      name: string;
      versions: Array<{ version: string }>;
    }>;
    const security = groups.find((group) => group.name === "security.istio.io");
    assert.deepEqual(
      security?.versions.map((version) => version.version),
      ["v1beta1"],
    );
    assert.equal(
      groups.some((group) => group.name === "spire.spiffe.io"),
      false,
    );
    const apps = (await call(fake, "/apis/apps/v1")).body;
    assert.equal(apps.kind, "APIResourceList");
    assert.ok(
      apps.resources.some(
        (resource: { name: string; kind: string }) => resource.name === "deployments" && resource.kind === "Deployment",
      ),
    );
    const core = (await call(fake, "/api/v1")).body.resources.map((resource: { name: string }) => resource.name);
    assert.ok(core.includes("pods/exec"));
    assert.ok(core.includes("secrets"));
    assert.equal((await call(fake, "/apis/security.istio.io/v1")).status, 404);
  });

  test("lists at cluster scope and in a namespace", async () => {
    const all = await call(fake, "/api/v1/pods");
    assert.equal(all.body.kind, "PodList");
    assert.equal(all.body.items.length, 8);
    assert.equal(all.body.items[0].kind, undefined, "typed list items carry no kind");
    const sre = await call(fake, "/api/v1/namespaces/sre/pods");
    assert.ok(names(sre).every((name) => name !== "spire-server-0"));
    assert.equal(sre.body.items.length, 6);
    const crd = await call(fake, "/apis/security.istio.io/v1beta1/namespaces/sre/peerauthentications");
    assert.equal(crd.body.items[0].kind, "PeerAuthentication", "custom resources keep their kind");
  });

  test("gets by name and 404s a missing object or kind", async () => {
    const pod = await call(fake, "/api/v1/namespaces/spire/pods/spire-server-0");
    assert.equal(pod.body.metadata.name, "spire-server-0");
    assert.equal(pod.body.kind, "Pod");
    const namespace = await call(fake, "/api/v1/namespaces/sre");
    assert.equal(namespace.body.kind, "Namespace");
    const missing = await call(fake, "/api/v1/namespaces/sre/pods/nope");
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'pods "nope" not found');
    const crd = await call(fake, "/apis/spire.spiffe.io/v1alpha1/clusterspiffeids");
    assert.equal(crd.status, 404);
    assert.equal(crd.body.reason, "NotFound");
  });

  const selectors: Array<[string, string[]]> = [
    ["app=mdm-kernel", ["canary-1", "mdm-kernel-7d9f-abcde", "mdm-kernel-7d9f-pending"]],
    ["app==legacy-api", ["legacy-api-5c8b-xyz12"]],
    ["app=mdm-kernel,track!=canary", ["mdm-kernel-7d9f-abcde", "mdm-kernel-7d9f-pending"]],
    ["app in (redis, old-worker)", ["old-worker-0", "redis-0"]],
    ["app notin (mdm-kernel,legacy-api,old-worker,redis)", ["istiod-6b7c9d-q4x2z", "spire-server-0"]],
    ["track", ["canary-1"]],
    ["!track,app=mdm-kernel", ["mdm-kernel-7d9f-abcde", "mdm-kernel-7d9f-pending"]],
  ];
  for (const [selector, expected] of selectors) {
    test(`labelSelector ${selector}`, async () => {
      const reply = await call(fake, `/api/v1/pods?labelSelector=${encodeURIComponent(selector)}`);
      assert.equal(reply.status, 200);
      assert.deepEqual(names(reply).sort(), [...expected].sort());
    });
  }

  test("invalid labelSelector is 400", async () => {
    const reply = await call(fake, `/api/v1/pods?labelSelector=${encodeURIComponent("app in (a")}`);
    assert.equal(reply.status, 400);
  });

  test("paginates with limit and continue", async () => {
    const first = await call(fake, "/api/v1/pods?limit=3");
    assert.equal(first.body.items.length, 3);
    assert.equal(first.body.metadata.remainingItemCount, 5);
    const token = first.body.metadata.continue as string;
    const second = await call(fake, `/api/v1/pods?limit=3&continue=${encodeURIComponent(token)}`);
    assert.equal(second.body.items.length, 3);
    const third = await call(
      fake,
      `/api/v1/pods?limit=3&continue=${encodeURIComponent(second.body.metadata.continue)}`,
    );
    assert.equal(third.body.items.length, 2);
    assert.equal(third.body.metadata.continue, undefined);
    const all = new Set([...names(first), ...names(second), ...names(third)]);
    assert.equal(all.size, 8);
    assert.equal((await call(fake, "/api/v1/pods?limit=3&continue=garbage")).status, 400);
  });

  test("answers writes with 405 and logs them", async () => {
    fake.exemptFromAuditRules(
      (entry) => entry.path === "/api/v1/namespaces/sre/pods/redis-0" && entry.method !== "GET" && entry.status === 405,
    );
    fake.clearAudit();
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const reply = await call(fake, "/api/v1/namespaces/sre/pods/redis-0", { method });
      assert.equal(reply.status, 405);
      assert.equal(reply.body.reason, "MethodNotAllowed");
    }
    assert.deepEqual(
      fake.audit.map((entry) => `${entry.method} ${entry.verb} ${entry.status}`),
      ["POST create 405", "PUT update 405", "PATCH patch 405", "DELETE delete 405"],
    );
  });

  test("injects 429 with Retry-After once", async () => {
    fake.addFault({ path: "/api/v1/nodes", times: 1, action: { type: "status", status: 429, retryAfterSeconds: 7 } });
    const throttled = await call(fake, "/api/v1/nodes");
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers["retry-after"], "7");
    assert.equal((await call(fake, "/api/v1/nodes")).status, 200);
    fake.clearFaults();
  });

  test("listKind passes a kind's labelSelector", async () => {
    const client = await loadKubernetesClient();
    const kubeconfig = await fake.writeKubeconfig();
    const target = loadClusterTarget(client, { kubeconfig });
    const settings = {
      client,
      api: target.config.makeApiClient(client.CustomObjectsApi),
      timeoutMs: 5000,
      pageSize: 2,
      retry: DEFAULT_RETRY_POLICY,
    };
    fake.clearAudit();
    const listing = await listKind(settings, {
      kind: "Pod",
      group: "",
      versions: ["v1"],
      plural: "pods",
      namespaced: true,
      labelSelector: "app in (mdm-kernel)",
    });
    assert.deepEqual(
      listing.objects.map((object) => object.metadata.name),
      ["canary-1", "mdm-kernel-7d9f-abcde", "mdm-kernel-7d9f-pending"],
    );
    assert.equal(fake.audit.length, 2);
    assert.ok(fake.audit.every((entry) => entry.query.labelSelector?.[0] === "app in (mdm-kernel)"));
  });
});
