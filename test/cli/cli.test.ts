import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

const repo = resolve(import.meta.dirname, "../..");

/** Runs the CLI from source, as `meshproof ARGS`, and returns its exit code and output. */
function meshproof(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli.ts"), ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "meshproof-cli-"));
}

describe("meshproof CLI errors", () => {
  it("exits 2 naming a path that does not exist", () => {
    const missing = join(tempDir(), "nope");
    const result = meshproof("verify", "--snapshot", missing);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`^meshproof: snapshot path not found: ${missing}`));
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  });

  it("exits 2 on an empty folder", () => {
    const empty = tempDir();
    const result = meshproof("verify", "--snapshot", empty);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(empty));
    assert.equal(result.stderr.trim().split("\n").length, 1, "one paragraph");
  });

  it("exits 2 on malformed YAML with file, line and column", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "pods.yaml"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   namespace: b\n");
    const result = meshproof("verify", "--snapshot", dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /pods\.yaml:\d+:\d+: invalid YAML/);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  it("exits 2 on a plan with an unknown field", () => {
    const dir = tempDir();
    const planFile = join(dir, "plan.yaml");
    writeFileSync(
      planFile,
      "apiVersion: meshproof.dev/v1alpha1\nkind: RolloutPlan\nmetadata:\n  name: x\nspec:\n  trustDomain: a.example\n  colour: blue\n  mesh:\n    namespaces: [sre]\n  phases:\n    current: {id: now, mtls: PERMISSIVE}\n",
    );
    const result = meshproof("verify", "--snapshot", join(repo, "examples/snapshot"), "--plan", planFile);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /plan\.yaml:7: invalid rollout plan: line 7, unknown field "colour" in spec \(check the spelling\)/,
    );
  });

  it("exits 2 on a plan field of the wrong type", () => {
    const dir = tempDir();
    const planFile = join(dir, "plan.yaml");
    writeFileSync(
      planFile,
      "apiVersion: meshproof.dev/v1alpha1\nkind: RolloutPlan\nmetadata:\n  name: x\nspec:\n  trustDomain: 42\n  mesh:\n    namespaces: [sre]\n  phases:\n    current: {id: now, mtls: PERMISSIVE}\n",
    );
    const result = meshproof("verify", "--snapshot", join(repo, "examples/snapshot"), "--plan", planFile);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /line 6, field spec\.trustDomain: Invalid input: expected string, received number/);
  });

  it("exits 2 on an unknown option", () => {
    const result = meshproof("verify", "--snapshott", "x");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown option '--snapshott'/);
  });

  it("exits 2 when --snapshot is combined with --context", () => {
    const result = meshproof("verify", "--snapshot", "x", "--context", "prod");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--snapshot cannot be combined with --kubeconfig, --context or --in-cluster/);
  });

  it("prints help and exits 0", () => {
    const result = meshproof("--help");
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: meshproof/);
    assert.match(result.stdout, /verify/);
  });
});

describe("test script", () => {
  function runTestScript(testDir: string) {
    return spawnSync("bash", [join(repo, "scripts/test.sh")], {
      cwd: repo,
      encoding: "utf8",
      // Without NODE_TEST_CONTEXT the nested runner runs its files instead of deferring to this one.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, MESHPROOF_TEST_DIR: testDir },
    });
  }

  it("fails when no test file exists", () => {
    const run = runTestScript(tempDir());
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no test files match/);
  });

  it("fails when the test files hold no test", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "empty.test.ts"), "export const nothing = 1;\n");
    const run = runTestScript(dir);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /the test runner executed no test/);
  });

  it("passes a folder with one passing test", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "one.test.ts"), 'import { test } from "node:test";\ntest("passes", () => {});\n');
    const run = runTestScript(dir);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /ℹ tests 1/);
  });
});
