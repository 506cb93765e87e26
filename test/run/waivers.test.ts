import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CheckResult } from "../../src/checks/types.js";
import { InputError } from "../../src/errors.js";
import { applyWaivers, parseWaivers } from "../../src/run/waivers.js";

function check(id: string, findings: CheckResult["findings"]): CheckResult {
  return {
    id,
    category: "identity",
    title: id,
    proves: "",
    reads: [],
    verdict: "warn",
    summary: "",
    findings,
    evidence: [],
  };
}

const SHARED = check("MP-ID-01", [
  { subject: "ServiceAccount sre/default", verdict: "warn", message: "shared by 10 workloads" },
  { subject: "Deployment sre/mdm-kernel", verdict: "pass", message: "ok" },
]);

const FILE = `apiVersion: meshproof.dev/v1alpha1
kind: WaiverList
waivers:
  - check: MP-ID-*
    subject: "ServiceAccount sre/*"
    reason: per-workload ServiceAccounts come with the authorization phase
    owner: platform-team
    expires: "2026-09-30"
  - check: MP-EXT-01
    subject: "ServiceEntry sre/*"
    reason: pool port under review
    owner: db-team
    expires: "2026-06-01"
  - check: MP-CP-01
    subject: "Deployment istio-system/istiod"
    reason: nothing to waive
    owner: mesh-team
    expires: "2026-12-31"
`;

describe("applyWaivers", () => {
  const set = parseWaivers(FILE, "waivers.yaml");
  const now = new Date("2026-07-01T12:00:00Z");
  const checks = applyWaivers([SHARED], set, now);

  it("waives matching findings and recomputes the verdict", () => {
    const waived = checks[0];
    assert.equal(waived?.verdict, "waived");
    assert.equal(waived?.findings[0]?.verdict, "waived");
    assert.equal(waived?.findings[0]?.waiver?.originalVerdict, "warn");
    assert.equal(waived?.findings[0]?.waiver?.owner, "platform-team");
    assert.equal(waived?.findings[1]?.verdict, "pass");
  });

  it("reports expired and unused waivers", () => {
    const report = checks.at(-1);
    assert.equal(report?.id, "MP-WAIVER-01");
    assert.equal(report?.verdict, "warn");
    const byVerdict = report?.findings.map((finding) => [finding.subject, finding.verdict]);
    assert.deepEqual(byVerdict, [
      ["Waiver MP-ID-* ServiceAccount sre/*", "info"],
      ["Waiver MP-EXT-01 ServiceEntry sre/*", "warn"],
      ["Waiver MP-CP-01 Deployment istio-system/istiod", "warn"],
    ]);
    assert.match(report?.findings[1]?.message ?? "", /expired on 2026-06-01/);
    assert.match(report?.findings[2]?.message ?? "", /matches no finding/);
    assert.equal(report?.summary, "Waivers from waivers.yaml: 1 active, 1 expired, 1 matching nothing.");
  });

  it("stops applying a waiver after its last day", () => {
    const later = applyWaivers([SHARED], set, new Date("2026-10-01T00:00:00Z"));
    assert.equal(later[0]?.findings[0]?.verdict, "warn");
    assert.equal(later[0]?.verdict, "warn");
  });

  it("applies a waiver through its last day", () => {
    const lastDay = applyWaivers([SHARED], set, new Date("2026-09-30T23:59:59Z"));
    assert.equal(lastDay[0]?.findings[0]?.verdict, "waived");
  });
});

describe("parseWaivers", () => {
  it("rejects a waiver without an owner", () => {
    assert.throws(
      () => parseWaivers(FILE.replace("    owner: platform-team\n", ""), "waivers.yaml"),
      (error: unknown) =>
        error instanceof InputError &&
        error.line === 4 &&
        /required field waivers\[0\]\.owner is missing/.test(error.message),
    );
  });

  it("rejects a malformed expiry date", () => {
    assert.throws(
      () => parseWaivers(FILE.replace('"2026-09-30"', "next week"), "waivers.yaml"),
      (error: unknown) =>
        error instanceof InputError &&
        error.line === 8 &&
        /field waivers\[0\]\.expires: Invalid ISO date/.test(error.message),
    );
  });
});
