import * as assert from "node:assert/strict";
import { request } from "node:https";
import { describe, test } from "node:test";
import { type AuditEntry, AuditRuleError, auditRuleViolation, FakeApiServer } from "../support/fake-apiserver.js";
import { clusterObjects } from "../support/live-fixture.js";

function entry(fields: Partial<AuditEntry>): AuditEntry {
  return { method: "GET", path: "/api/v1/pods", query: {}, verb: "list", status: 200, authorized: [], ...fields };
}

function send(fake: FakeApiServer, path: string, method = "GET"): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${fake.url}${path}`,
      { method, ca: fake.pki.caPem, headers: { authorization: "Bearer test-token" }, agent: false },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe("auditRuleViolation", () => {
  const cases: Array<[string, Partial<AuditEntry>, RegExp | undefined]> = [
    ["list of pods", {}, undefined],
    ["get of a pod", { path: "/api/v1/namespaces/a/pods/b", verb: "get", resource: "pods", group: "" }, undefined],
    ["POST", { method: "POST", verb: "create", resource: "pods", group: "" }, /POST \(create\) is a write/],
    ["DELETE", { method: "DELETE", verb: "delete", resource: "pods", group: "" }, /is a write/],
    ["list of Secrets", { path: "/api/v1/secrets", resource: "secrets", group: "" }, /reads Secrets/],
    ["get of a Secret", { verb: "get", resource: "secrets", group: "", name: "x" }, /reads Secrets/],
    [
      "allowlisted exec",
      {
        verb: "get",
        resource: "pods/exec",
        group: "",
        query: { command: ["/opt/spire/bin/spire-server", "entry", "show", "-output", "json"] },
      },
      undefined,
    ],
    [
      "other spire-server command",
      {
        verb: "get",
        resource: "pods/exec",
        group: "",
        query: { command: ["/opt/spire/bin/spire-server", "entry", "delete", "-entryID", "x"] },
      },
      /not an allowlisted spire-server command/,
    ],
    [
      "exec of a shell",
      { verb: "get", resource: "pods/exec", group: "", query: { command: ["sh"] } },
      /execs \["sh"\]/,
    ],
    ["forward to Envoy admin", { verb: "get", resource: "pods/portforward", query: { ports: ["15000"] } }, undefined],
    ["forward to istiod", { verb: "get", resource: "pods/portforward", query: { ports: ["15014"] } }, undefined],
    [
      "forward to pilot-agent",
      { verb: "get", resource: "pods/portforward", query: { ports: ["15000,15020"] } },
      /forwards port 15020/,
    ],
    ["forward without ports", { verb: "get", resource: "pods/portforward", query: {} }, /forwards port \(none\)/],
  ];
  for (const [name, fields, expected] of cases) {
    test(name, () => {
      const violation = auditRuleViolation(entry(fields));
      if (expected === undefined) assert.equal(violation, undefined);
      else assert.match(violation ?? "", expected);
    });
  }
});

describe("fake API server audit rules", () => {
  test("close rejects a Secret read", async () => {
    const fake = await FakeApiServer.start({ objects: clusterObjects(), rbac: "allow-all" });
    assert.equal(await send(fake, "/api/v1/namespaces/sre/secrets/db-credentials"), 200);
    fake.clearAudit();
    await assert.rejects(fake.close(), (error: unknown) => {
      assert.ok(error instanceof AuditRuleError);
      assert.deepEqual(error.violations, ["GET /api/v1/namespaces/sre/secrets/db-credentials: reads Secrets"]);
      return true;
    });
  });

  test("exemption covers only what it matches", async () => {
    const fake = await FakeApiServer.start({ objects: clusterObjects() });
    fake.exemptFromAuditRules((audited) => audited.method === "DELETE" && audited.path.endsWith("/pods/redis-0"));
    assert.equal(await send(fake, "/api/v1/namespaces/sre/pods/redis-0", "DELETE"), 405);
    assert.equal(await send(fake, "/api/v1/namespaces/sre/pods/old-worker-0", "DELETE"), 405);
    await assert.rejects(fake.close(), (error: unknown) => {
      assert.ok(error instanceof AuditRuleError);
      assert.deepEqual(error.violations, [
        "DELETE /api/v1/namespaces/sre/pods/old-worker-0: DELETE (delete) is a write",
      ]);
      return true;
    });
  });

  test("denied requests still count", async () => {
    const fake = await FakeApiServer.start({ objects: clusterObjects() });
    assert.equal(await send(fake, "/api/v1/secrets"), 403, "deploy/rbac.yaml grants no Secrets");
    await assert.rejects(fake.close(), /GET \/api\/v1\/secrets: reads Secrets/);
  });

  test("close resolves after reads only", async () => {
    const fake = await FakeApiServer.start({ objects: clusterObjects() });
    assert.equal(await send(fake, "/api/v1/pods?limit=500"), 200);
    assert.deepEqual(fake.auditViolations(), []);
    await fake.close();
  });
});
