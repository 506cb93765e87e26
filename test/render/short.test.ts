import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderShort } from "../../src/render/short.js";
import { fixtureRunResult } from "../fixtures/run-result.js";
import { assertGolden } from "./golden.js";

const COUNTS = "17 checks: 8 pass, 2 warn, 1 fail, 3 info, 1 unknown, 1 skip, 1 waived";
const GATES =
  "Phase gates: mesh-workers NO-GO, mesh-ingress UNDECIDED, strict NO-GO (they do not change the exit code; run meshproof gate <phase-id>)";

describe("short report", () => {
  it("matches the golden file", () => {
    assertGolden("short.golden", renderShort(fixtureRunResult()));
  });

  it("starts with the banner line", () => {
    const [first] = renderShort(fixtureRunResult()).split("\n");
    assert.equal(
      first,
      "STATE: mTLS PERMISSIVE · 9 app services meshed + 1 canary · 0 outages · PAUSED before mesh-workers / mesh-ingress / strict",
    );
  });

  it("lists only warn, fail and unknown checks", () => {
    const output = renderShort(fixtureRunResult());
    const checkIds = [...output.matchAll(/^ {2}\S+ (MP-[A-Za-z-]+?-\d+|MP-GATE-[a-z-]+) /gm)].map((match) => match[1]);
    assert.deepEqual(checkIds, ["MP-CP-02", "MP-SP-02", "MP-INJ-02", "MP-EXT-01"]);
  });

  it("leaves phase gates out of the list", () => {
    const output = renderShort(fixtureRunResult());
    assert.ok(!output.includes("MP-GATE-"));
    assert.ok(!output.includes("\nPhase gates\n"));
  });

  it("ends with the counts and the gates line", () => {
    assert.ok(renderShort(fixtureRunResult()).endsWith(`\n\n${COUNTS}\n${GATES}\n`));
  });

  it("prints no gates line without gates", () => {
    const result = fixtureRunResult();
    result.gates = [];
    assert.ok(renderShort(result).endsWith(`\n\n${COUNTS}\n`));
  });

  it("names unmeasured outage sources in the banner", () => {
    const result = fixtureRunResult();
    result.banner.outagesBasis = "observed";
    result.banner.notMeasured = ["HTTP probes (no recorded results in this input)"];
    const [first] = renderShort(result).split("\n");
    assert.ok(
      first?.includes(
        " · 0 outages observed, no baseline (not measured: HTTP probes (no recorded results in this input)) · ",
      ),
      first,
    );
  });

  it("wraps an ASCII banner with the separator at line ends", () => {
    const result = fixtureRunResult();
    const lines = renderShort(result, { ascii: true, width: 60 }).split("\n");
    assert.deepEqual(lines.slice(0, 3), [
      "STATE: mTLS PERMISSIVE | 9 app services meshed + 1 canary |",
      "       0 outages | PAUSED before mesh-workers / mesh-ingress",
      "       / strict",
    ]);
  });

  it("leaves out passing findings of a failing check", () => {
    const output = renderShort(fixtureRunResult());
    assert.ok(!output.includes("StatefulSet sre/neo4j"));
    assert.ok(!output.includes("TCP 25060, MESH_EXTERNAL"));
    assert.ok(output.includes("      ⚠ ServiceEntry sre/do-managed-postgres: The plan lists port 25061"));
  });

  it("says all checks pass when none has a problem", () => {
    const result = fixtureRunResult();
    // The gates stay: a NO-GO gate is not a problem of the cluster now.
    result.checks = result.checks.filter(
      (item) =>
        item.category === "phase-gates" ||
        item.verdict === "pass" ||
        item.verdict === "info" ||
        item.verdict === "skip",
    );
    result.counts = { pass: 8, warn: 0, fail: 0, info: 3, unknown: 0, skip: 1, waived: 0 };
    const output = renderShort(result);
    const counts = "12 checks: 8 pass, 0 warn, 0 fail, 3 info, 0 unknown, 1 skip";
    assert.ok(output.endsWith(`\n\nAll checks pass.\n\n${counts}\n${GATES}\n`));
    assert.doesNotMatch(output, /^ {2}\S+ MP-/m);
  });

  it("says no checks ran for an empty result", () => {
    const result = fixtureRunResult();
    result.checks = [];
    result.gates = [];
    result.counts = { pass: 0, warn: 0, fail: 0, info: 0, unknown: 0, skip: 0, waived: 0 };
    assert.ok(
      renderShort(result).endsWith(
        "\n\nNo checks ran.\n\n0 checks: 0 pass, 0 warn, 0 fail, 0 info, 0 unknown, 0 skip\n",
      ),
    );
  });

  it("writes no ANSI escape without colour", () => {
    assert.ok(!renderShort(fixtureRunResult()).includes("\u001b"));
  });
});
