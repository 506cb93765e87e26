import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { generatedPlan, generatedState } from "../../bench/generate.js";
import { renderJson, renderJsonChunks } from "../../src/render/json.js";
import type { RunResult } from "../../src/run/result.js";
import { runVerification } from "../../src/run/run.js";
import { fixtureRunResult } from "../fixtures/run-result.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function joined(result: RunResult): string {
  return [...renderJsonChunks(result)].join("");
}

describe("renderJsonChunks", () => {
  it("matches renderJson on the fixture", () => {
    assert.equal(joined(fixtureRunResult()), renderJson(fixtureRunResult()));
  });

  it("matches renderJson on a generated cluster", () => {
    const shape = { pods: 300 };
    const withPlan = runVerification({ state: generatedState(shape), plan: generatedPlan(shape) }).result;
    assert.ok(withPlan.checks.length > 10, "the run must have checks to split");
    assert.equal(joined(withPlan), renderJson(withPlan));

    const withoutPlan = runVerification({ state: generatedState(shape) }).result;
    assert.equal(withoutPlan.plan, undefined);
    assert.equal(joined(withoutPlan), renderJson(withoutPlan));
  });

  it("matches renderJson with no checks", () => {
    const result = { ...fixtureRunResult(), checks: [], categories: [] };
    assert.equal(joined(result), renderJson(result));
  });

  it("matches renderJson on awkward values", () => {
    const awkward = {
      ...fixtureRunResult(),
      extra: { empty: {}, list: [], nested: [[], {}, [1, [2]]], skipped: undefined, fn: () => 1, date: new Date(0) },
      holes: [undefined, () => 1, null, "line\nbreak"],
    } as unknown as RunResult;
    assert.equal(joined(awkward), renderJson(awkward));
  });

  it("splits a large report into small pieces", () => {
    const shape = { pods: 300 };
    const result = runVerification({ state: generatedState(shape), plan: generatedPlan(shape) }).result;
    const pieces = [...renderJsonChunks(result)];
    const total = pieces.reduce((sum, piece) => sum + piece.length, 0);
    const largest = Math.max(...pieces.map((piece) => piece.length));
    assert.ok(pieces.length > 10, `${pieces.length} pieces for ${total} characters`);
    assert.ok(largest < 64_000, `the largest piece has ${largest} characters`);
  });
});

describe("verify --format json", () => {
  const folders: string[] = [];
  after(async () => {
    await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
  });

  it("writes the same report to a file and to standard output", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "meshproof-json-"));
    folders.push(folder);
    const file = path.join(folder, "report.json");
    const args = [
      "--import",
      "tsx",
      "src/cli.ts",
      "verify",
      "--snapshot",
      "examples/snapshot",
      "--plan",
      "examples/plan.yaml",
      "--format",
      "json",
    ];
    const toStdout = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
    const toFile = spawnSync(process.execPath, [...args, "--output", file], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.ok(toStdout.status === 0 || toStdout.status === 1, toStdout.stderr);
    assert.equal(toFile.status, toStdout.status, toFile.stderr);
    assert.equal(toFile.stdout, "");

    const written = await readFile(file, "utf8");
    assert.ok(written.endsWith("}\n"));
    // generatedAt is the only field that differs between two runs.
    const withoutTime = (text: string) => ({ ...JSON.parse(text), generatedAt: undefined });
    assert.deepEqual(withoutTime(written), withoutTime(toStdout.stdout));
    assert.equal(written.replace(/"generatedAt": "[^"]*"/, ""), toStdout.stdout.replace(/"generatedAt": "[^"]*"/, ""));
  });
});
