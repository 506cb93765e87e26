import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import type { CheckResult } from "../../src/checks/types.js";
import type { RunResult } from "../../src/run/result.js";

const repo = resolve(import.meta.dirname, "../..");
const PASSWORD = "S3cr3t-Passw0rd";
const SECRET_DATA = "UzNjcjN0LVBhc3N3MHJk";

/** Runs `meshproof verify` on the bundled example, as `npm start` does. */
function verifyExample(...extra: string[]) {
  return spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(repo, "src/cli.ts"),
      "verify",
      "--snapshot",
      "examples/snapshot",
      "--plan",
      "examples/plan.yaml",
      ...extra,
    ],
    { cwd: repo, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
  );
}

describe("bundled example", () => {
  let result: RunResult;
  let text: string;
  const byId = (id: string): CheckResult => {
    const check = result.checks.find((candidate) => candidate.id === id);
    assert.ok(check, `check ${id} missing`);
    return check;
  };

  before(() => {
    const json = verifyExample("--format", "json");
    assert.equal(json.status, 0, json.stderr);
    result = JSON.parse(json.stdout) as RunResult;
    const terminal = verifyExample();
    assert.equal(terminal.status, 0, terminal.stderr);
    text = terminal.stdout;
  });

  it("finds istiod 1.23.2 running", () => {
    assert.equal(byId("MP-CP-01").verdict, "pass");
    assert.match(byId("MP-CP-01").summary, /v1\.23\.2/);
  });

  it("flags Istio 1.23 past end of life on Kubernetes 1.36", () => {
    const support = byId("MP-CP-02");
    assert.equal(support.verdict, "warn");
    assert.match(support.summary, /end of life on 2025-04-16/);
    assert.match(support.summary, /1\.36/);
  });

  it("agrees on insignia.tech everywhere", () => {
    assert.equal(byId("MP-TD-01").verdict, "pass");
    assert.match(byId("MP-TD-01").summary, /^insignia\.tech/);
  });

  it("finds the SPIRE server, six agents and CSI on every node", () => {
    assert.equal(byId("MP-SP-01").verdict, "pass");
    assert.match(byId("MP-SP-01").summary, /2\/2/);
    assert.equal(byId("MP-SP-02").verdict, "pass");
    assert.match(byId("MP-SP-02").summary, /6 agents/);
    assert.equal(byId("MP-SP-03").verdict, "pass");
    assert.match(byId("MP-SP-03").summary, /6\/6/);
  });

  it("finds native sidecars switched on", () => {
    assert.equal(byId("MP-NS-01").verdict, "pass");
    assert.match(byId("MP-NS-01").summary, /ENABLE_NATIVE_SIDECARS=true/);
  });

  it("counts ten meshed workloads with three native", () => {
    const inventory = byId("MP-INJ-01");
    assert.equal(inventory.verdict, "pass");
    assert.match(inventory.summary, /3 native: mdm-kernel, opal-server, poi-api/);
    assert.equal(result.banner.appServicesMeshed, 9);
    assert.equal(result.banner.canariesMeshed, 1);
  });

  it("finds no datastore with a sidecar", () => {
    assert.equal(byId("MP-INJ-02").verdict, "pass");
  });

  it("flags the shared default identity", () => {
    const identity = byId("MP-ID-01");
    assert.equal(identity.verdict, "warn");
    assert.match(identity.summary, /spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/default/);
    assert.ok(
      identity.findings.some(
        (finding) => finding.subject === "ServiceAccount sre/default" && finding.verdict === "warn",
      ),
    );
  });

  it("covers port 25060 and flags 25061", () => {
    const external = byId("MP-EXT-01");
    assert.equal(external.verdict, "warn");
    assert.match(external.summary, /:25060/);
    assert.match(external.summary, /:25061/);
  });

  it("reports the Vault exception as present without effect", () => {
    const exception = byId("MP-POL-01");
    assert.equal(exception.verdict, "info");
    assert.match(exception.summary, /vault-permissive/);
    assert.match(exception.summary, /no effect today/);
  });

  it("finds mdm-kernel and mdm-sas ready", () => {
    const ready = byId("MP-HEALTH-01");
    assert.equal(ready.verdict, "pass");
    assert.match(ready.summary, /mdm-kernel 1\/1/);
    assert.match(ready.summary, /mdm-sas 1\/1/);
  });

  it("attributes the worker crash loop to before the window", () => {
    const attribution = byId("MP-HEALTH-02");
    assert.equal(attribution.verdict, "info");
    assert.ok(result.summary.preExisting.some((line) => line.includes("mdm-projection-worker")));
  });

  it("prints the state banner", () => {
    assert.match(text, /STATE: mTLS PERMISSIVE · 9 app services meshed \+ 1 canary · 0 outages/);
    assert.match(text, /PAUSED before mesh-workers \/ mesh-ingress \/ strict/);
  });

  it("never prints the password or Secret data", () => {
    for (const output of [JSON.stringify(result), text]) {
      assert.ok(!output.includes(PASSWORD), "connection-string password leaked");
      assert.ok(!output.includes(SECRET_DATA), "Secret data leaked");
    }
    assert.equal(result.input.secretsDropped, 1);
  });

  it("keeps the password out of verbose evidence", () => {
    const verbose = verifyExample("--verbose");
    assert.equal(verbose.status, 0, verbose.stderr);
    assert.ok(!verbose.stdout.includes(PASSWORD));
    assert.match(
      verbose.stdout,
      /env DATABASE_URL\s+db-postgresql-nyc2-00000-do-user-0000000-0\.db\.example\.com:25060/,
    );
  });

  it("masks the password in collected objects", async () => {
    const { readSnapshot } = await import("../../src/collect/snapshot/read.js");
    const state = await readSnapshot(join(repo, "examples/snapshot"));
    const serialized = JSON.stringify(state);
    assert.ok(!serialized.includes(PASSWORD));
    assert.ok(!serialized.includes(SECRET_DATA));
    assert.ok(
      serialized.includes(
        "postgresql://mdm_app:****@db-postgresql-nyc2-00000-do-user-0000000-0.db.example.com:25060/mdm",
      ),
    );
  });
});
