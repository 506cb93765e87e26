import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { CATEGORY_TITLES, VERDICT_ORDER } from "../../src/checks/types.js";
import { readSnapshot } from "../../src/collect/snapshot/read.js";
import { loadPlan } from "../../src/plan/load.js";
import { renderJson } from "../../src/render/json.js";
import { RUN_RESULT_FORMAT, type RunResult } from "../../src/run/result.js";
import { runVerification } from "../../src/run/run.js";
import { fixtureRunResult } from "../fixtures/run-result.js";

const repoRoot = resolve(import.meta.dirname, "../..");
const schema = JSON.parse(readFileSync(new URL("../../schema/run-result.schema.json", import.meta.url), "utf8"));

function compile() {
  // ajv ships no date-time format without ajv-formats; this pattern is RFC 3339's date-time.
  const ajv = new Ajv2020({
    allErrors: true,
    formats: { "date-time": /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i },
  });
  return ajv.compile(schema);
}

function minimalResult(): RunResult {
  return {
    format: RUN_RESULT_FORMAT,
    tool: { name: "meshproof", version: "0.1.0" },
    generatedAt: "2026-06-28T14:07:31Z",
    cluster: { source: "manifests/", sourceType: "files" },
    banner: {
      mtlsMode: "PERMISSIVE",
      appServicesMeshed: 0,
      canariesMeshed: 0,
      outages: 0,
      outageSubjects: [],
      outagesBasis: "observed",
      notMeasured: [],
      pausedBefore: [],
    },
    summary: { working: [], flagged: [], preExisting: [], notYetDone: [] },
    counts: { pass: 0, warn: 0, fail: 0, info: 0, unknown: 0, skip: 0, waived: 0 },
    gates: [],
    categories: [],
    checks: [],
    mesh: { workloads: {}, policies: {}, probes: {} },
    input: { files: [], objectsByKind: {}, secretsDropped: 0, skippedDocuments: [], duplicates: [], warnings: [] },
    collectionIssues: [],
  };
}

const REMOVE = Symbol("remove");

/** Sets, or with REMOVE deletes, the value at `path` inside a parsed JSON document. */
function setAt(document: unknown, path: Array<string | number>, value: unknown): void {
  let node = document as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (value === REMOVE) delete node[last];
  else node[last] = value;
}

describe("json report", () => {
  it("round-trips the run result", () => {
    const output = renderJson(fixtureRunResult());
    assert.deepEqual(JSON.parse(output), fixtureRunResult());
    assert.ok(output.startsWith('{\n  "format": "meshproof.dev/run-result/v1",\n'));
    assert.ok(output.endsWith("}\n"));
  });

  it("validates the fixture against the schema", () => {
    const validate = compile();
    const valid = validate(JSON.parse(renderJson(fixtureRunResult())));
    assert.equal(valid, true, JSON.stringify(validate.errors, null, 2));
  });

  it("validates the example run against the schema", async () => {
    const state = await readSnapshot(resolve(repoRoot, "examples/snapshot"));
    const plan = await loadPlan(resolve(repoRoot, "examples/plan.yaml"));
    const { result } = runVerification({ state, plan, planFile: "examples/plan.yaml" });
    const document = JSON.parse(renderJson(result));
    const validate = compile();
    assert.equal(validate(document), true, JSON.stringify(validate.errors, null, 2));
    // The example has a plan with three next phases, so the new fields carry real values.
    assert.equal(document.gates.length, 3);
    assert.ok(Array.isArray(document.banner.notMeasured));
  });

  it("validates the optional banner fields", () => {
    const result = fixtureRunResult();
    result.banner.mtlsMode = "STRICT";
    result.banner.plannedMtlsMode = "PERMISSIVE";
    result.banner.notMeasured = ["HTTP probes (no recorded results in this input)"];
    const validate = compile();
    assert.equal(validate(JSON.parse(renderJson(result))), true, JSON.stringify(validate.errors, null, 2));
  });

  it("validates a minimal result against the schema", () => {
    const validate = compile();
    assert.equal(validate(minimalResult()), true, JSON.stringify(validate.errors, null, 2));
  });

  it("rejects broken documents", () => {
    const validate = compile();
    // Each case: name, the path to change, the new value (REMOVE deletes it), and where ajv must report.
    const cases: Array<[string, Array<string | number>, unknown, string]> = [
      ["unknown verdict", ["checks", 0, "verdict"], "maybe", "/checks/0/verdict"],
      ["missing banner", ["banner"], REMOVE, ""],
      ["wrong format", ["format"], "meshproof.dev/run-result/v0", "/format"],
      ["extra field", ["checks", 1, "severity"], "high", "/checks/1"],
      ["negative count", ["counts", "fail"], -1, "/counts/fail"],
      ["unknown category", ["categories", 13], "ambient", "/categories/13"],
      ["bad timestamp", ["generatedAt"], "yesterday", "/generatedAt"],
      ["finding without subject", ["checks", 8, "findings", 0, "subject"], REMOVE, "/checks/8/findings/0"],
      [
        "waiver without owner",
        ["checks", 14, "findings", 0, "waiver", "owner"],
        REMOVE,
        "/checks/14/findings/0/waiver",
      ],
      ["missing mesh inventory", ["mesh"], REMOVE, ""],
      ["unknown outage basis", ["banner", "outagesBasis"], "guessed", "/banner/outagesBasis"],
      ["missing gates", ["gates"], REMOVE, ""],
      ["unknown gate decision", ["gates", 0, "decision"], "GO?", "/gates/0/decision"],
      ["gate without phase", ["gates", 1, "phase"], REMOVE, "/gates/1"],
      ["missing notMeasured", ["banner", "notMeasured"], REMOVE, "/banner"],
      ["notMeasured not a list", ["banner", "notMeasured"], "HTTP probes", "/banner/notMeasured"],
    ];
    for (const [name, target, value, path] of cases) {
      const document: unknown = JSON.parse(renderJson(fixtureRunResult()));
      setAt(document, target, value);
      assert.equal(validate(document), false, `${name} should be invalid`);
      assert.ok(
        validate.errors?.some((error) => error.instancePath === path),
        `${name}: expected an error at ${JSON.stringify(path)}, got ${JSON.stringify(validate.errors?.map((e) => e.instancePath))}`,
      );
    }
  });

  it("lists the same verdicts and categories as the types", () => {
    assert.deepEqual([...schema.$defs.verdict.enum].sort(), [...VERDICT_ORDER].sort());
    assert.deepEqual([...schema.$defs.category.enum].sort(), Object.keys(CATEGORY_TITLES).sort());
    assert.equal(schema.properties.format.const, RUN_RESULT_FORMAT);
    assert.deepEqual(Object.keys(schema.properties.counts.properties).sort(), [...VERDICT_ORDER].sort());
  });
});
