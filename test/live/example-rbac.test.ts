import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ALL_CHECKS } from "../../src/checks/registry.js";
import type { RunResult } from "../../src/run/result.js";
import { type ExampleCluster, findingsByCheck, startExampleCluster, verifyLive } from "../support/example-cluster.js";
import { deployRbacRoles, withoutPermission } from "../support/rbac.js";

/** One capture time for every run in this file, so the missing permission is the only difference between runs. */
const NOW = new Date();
const clock = () => NOW;

function checkOf(result: RunResult, id: string) {
  const check = result.checks.find((candidate) => candidate.id === id);
  assert.ok(check, `check ${id} missing`);
  return check;
}

/**
 * Assert that `affected` checks are unknown and name `permission`, and every other registered check
 * kept its baseline result. Phase gates are left out: they judge the results of the other checks,
 * so their verdicts follow those results by design.
 */
function assertOnlyAffected(
  result: RunResult,
  baseline: ReturnType<typeof findingsByCheck>,
  affected: Set<string>,
  permission: string,
): void {
  const actual = findingsByCheck(result);
  const registered = new Set(ALL_CHECKS.map((check) => check.id));
  for (const id of affected) assert.ok(registered.has(id), `${id} is a registered check`);
  for (const [id, verdicts] of actual) {
    if (!registered.has(id)) continue;
    if (!affected.has(id)) {
      assert.deepEqual(verdicts, baseline.get(id), `${id} kept its verdict`);
      continue;
    }
    const check = checkOf(result, id);
    assert.equal(check.verdict, "unknown", id);
    const named = check.findings.some(
      (finding) => finding.verdict === "unknown" && `${finding.message} ${finding.hint ?? ""}`.includes(permission),
    );
    assert.ok(named, `${id} names ${permission}: ${JSON.stringify(check.findings)}`);
  }
}

describe("example under narrower RBAC", () => {
  let cluster: ExampleCluster;
  let baseline: ReturnType<typeof findingsByCheck>;

  before(async () => {
    cluster = await startExampleCluster();
    const { result } = await verifyLive(cluster, { clock });
    assert.deepEqual(result.collectionIssues, []);
    baseline = findingsByCheck(result);
  });
  after(async () => {
    await cluster.close();
  });

  test("without list on pods", async () => {
    cluster.fake.setRbac(withoutPermission(deployRbacRoles(), "list", "", "pods"));
    const { result } = await verifyLive(cluster, { clock });
    cluster.fake.setRbac(deployRbacRoles());

    assert.deepEqual(
      result.collectionIssues.map((issue) => `${issue.resource} ${issue.reason} ${issue.permission}`),
      ["pods forbidden list pods"],
    );
    const affected = new Set(ALL_CHECKS.filter((check) => check.needs?.includes("pods")).map((check) => check.id));
    assert.ok(affected.size >= 20, `${affected.size} checks need pods`);
    assertOnlyAffected(result, baseline, affected, "list pods");
    assert.equal(checkOf(result, "MP-CP-01").summary, "Unknown: pods forbidden (needs list pods).");
    assert.equal(checkOf(result, "MP-PROBE-01").verdict, "pass", "probes do not read pods");
  });

  test("without create on pods/exec", async () => {
    cluster.fake.setRbac(withoutPermission(deployRbacRoles(), "create", "", "pods/exec"));
    const { result, state } = await verifyLive(cluster, { clock });
    cluster.fake.setRbac(deployRbacRoles());

    const spire = state.evidence.filter((item) => item.type === "spire-cli");
    assert.equal(spire.length, 4);
    assert.ok(spire.every((item) => item.error?.permission === "create pods/exec"));
    assertOnlyAffected(result, baseline, new Set(["MP-SP-01", "MP-SP-02", "MP-SP-05"]), "pods/exec");
    assert.match(checkOf(result, "MP-SP-05").summary, /^Unknown: spire-server entry show could not run \(forbidden\)/);
  });

  test("without get on pods/portforward", async () => {
    cluster.fake.setRbac(withoutPermission(deployRbacRoles(), "get", "", "pods/portforward"));
    const { result } = await verifyLive(cluster, { clock });
    cluster.fake.setRbac(deployRbacRoles());

    assertOnlyAffected(result, baseline, new Set(["MP-TD-01", "MP-ID-03"]), "pods/portforward");
    assert.ok(checkOf(result, "MP-ID-03").findings.every((finding) => finding.verdict === "unknown"));
  });
});
