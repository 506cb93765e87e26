import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderShort } from "../../src/render/short.js";
import { fixtureRunResult } from "../fixtures/run-result.js";
import { assertGolden } from "./golden.js";

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
    const checkIds = [...output.matchAll(/^ {2}\S+ (MP-[A-Z]+-\d+) /gm)].map((match) => match[1]);
    assert.deepEqual(checkIds, ["MP-CP-02", "MP-SP-02", "MP-INJ-02", "MP-EXT-01", "MP-GATE-01"]);
  });

  it("leaves out passing findings of a failing check", () => {
    const output = renderShort(fixtureRunResult());
    assert.ok(!output.includes("StatefulSet sre/neo4j"));
    assert.ok(!output.includes("TCP 25060, MESH_EXTERNAL"));
    assert.ok(output.includes("      ⚠ ServiceEntry sre/do-managed-postgres: The plan lists port 25061"));
  });

  it("says all checks pass when none has a problem", () => {
    const result = fixtureRunResult();
    result.checks = result.checks.filter(
      (item) => item.verdict === "pass" || item.verdict === "info" || item.verdict === "skip",
    );
    const output = renderShort(result);
    assert.ok(output.endsWith("\n\nAll checks pass.\n"));
    assert.doesNotMatch(output, /^ {2}\S+ MP-/m);
  });

  it("says no checks ran for an empty result", () => {
    const result = fixtureRunResult();
    result.checks = [];
    assert.ok(renderShort(result).endsWith("\n\nNo checks ran.\n"));
  });

  it("writes no ANSI escape without colour", () => {
    assert.ok(!renderShort(fixtureRunResult()).includes("\u001b"));
  });
});
