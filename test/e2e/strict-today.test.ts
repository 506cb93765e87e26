import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import { readSnapshot } from "../../src/collect/snapshot/read.js";
import type { CollectedState } from "../../src/collect/types.js";
import { diffResults } from "../../src/diff/diff.js";
import { loadPlan } from "../../src/plan/load.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import type { RunResult } from "../../src/run/result.js";
import { runVerification } from "../../src/run/run.js";
import { parseWaivers } from "../../src/run/waivers.js";

const repo = resolve(import.meta.dirname, "../..");

/** Sets PeerAuthentication sre/default to STRICT, so plaintext callers are rejected today. */
function strictToday(state: CollectedState): CollectedState {
  const copy = structuredClone(state);
  const policy = copy.objects.find(
    (object) =>
      object.kind === "PeerAuthentication" && object.metadata.namespace === "sre" && object.metadata.name === "default",
  );
  assert.ok(policy, "the example has PeerAuthentication sre/default");
  policy.spec = { ...policy.spec, mtls: { mode: "STRICT" } };
  return copy;
}

describe("example with STRICT in sre today", () => {
  let plan: RolloutPlan;
  let permissive: RunResult;
  let strict: RunResult;

  before(async () => {
    plan = await loadPlan(join(repo, "examples/plan.yaml"));
    const state = await readSnapshot(join(repo, "examples/snapshot"));
    permissive = runVerification({ state, plan }).result;
    strict = runVerification({ state: strictToday(state), plan }).result;
  });

  it("counts rejected callers as outages", () => {
    assert.deepEqual(strict.banner.outageSubjects, ["Deployment sre/mdm-ai", "Deployment sre/mdm-kernel"]);
    assert.equal(strict.banner.mtlsMode, "STRICT");
    assert.equal(strict.banner.plannedMtlsMode, "PERMISSIVE");
  });

  it("diffs each rejected caller as warn to fail", () => {
    const report = diffResults(permissive, strict);
    const callers = report.regressions.filter((item) => item.checkId === "MP-MTLS-03");
    assert.equal(callers.length, 3);
    for (const item of callers) {
      assert.equal(item.before, "warn");
      assert.equal(item.after, "fail");
    }
    const spurious = report.improvements.filter(
      (item) => item.checkId === "MP-MTLS-03" || item.checkId === "MP-GATE-mesh-workers",
    );
    assert.deepEqual(spurious, []);
  });
});

describe("waivers seen by the strict gate", () => {
  it("lists the waived identity finding as waived", async () => {
    const plan = await loadPlan(join(repo, "examples/plan.yaml"));
    const state = await readSnapshot(join(repo, "examples/snapshot"));
    const waivers = parseWaivers(
      [
        "apiVersion: meshproof.dev/v1alpha1",
        "kind: WaiverList",
        "waivers:",
        '  - check: "MP-*"',
        '    subject: "ServiceAccount sre/*"',
        "    reason: per-workload accounts come with the authorization phase",
        "    owner: platform-team",
        '    expires: "2999-12-31"',
        "",
      ].join("\n"),
      "waivers.yaml",
    );
    const result = runVerification({ state, plan, waivers }).result;
    const gate = result.checks.find((check) => check.id === "MP-GATE-strict");
    assert.ok(gate);
    const shared = gate.findings.filter((finding) => finding.subject === "ServiceAccount sre/default");
    assert.ok(shared.length > 0);
    for (const finding of shared) assert.equal(finding.verdict, "waived");
    assert.equal(gate.verdict, "fail", "the plaintext callers still block");
  });
});
