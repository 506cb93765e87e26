import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

const repo = resolve(import.meta.dirname, "../..");
const EXAMPLE = ["--snapshot", "examples/snapshot", "--plan", "examples/plan.yaml"];

function meshproof(...args: string[]) {
  const run = spawnSync(process.execPath, ["--import", "tsx", join(repo, "src/cli.ts"), ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("meshproof verify options", () => {
  it("exits 0 on the example and 1 with --fail-on warn", () => {
    assert.equal(meshproof("verify", ...EXAMPLE, "--format", "short").code, 0);
    const strict = meshproof("verify", ...EXAMPLE, "--format", "short", "--fail-on", "warn");
    assert.equal(strict.code, 1);
  });

  it("prints JUnit XML with one suite per category", () => {
    const run = meshproof("verify", ...EXAMPLE, "--format", "junit");
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    assert.match(run.stdout, /<testsuite name="Control plane"|<testsuite[^>]*name="[^"]*control-plane/);
    assert.match(run.stdout, /MP-EXT-01/);
  });

  it("prints Markdown for a change ticket", () => {
    const run = meshproof("verify", ...EXAMPLE, "--format", "markdown");
    assert.equal(run.code, 0);
    assert.match(run.stdout, /\| MP-CP-01 \|/);
    assert.match(run.stdout, /STATE: mTLS PERMISSIVE/);
  });

  it("writes the HTML report and names its path", () => {
    const file = join(mkdtempSync(join(tmpdir(), "meshproof-html-")), "report.html");
    const run = meshproof("verify", ...EXAMPLE, "--format", "short", "--html", file);
    assert.equal(run.code, 0);
    assert.equal(run.stderr.trim(), `HTML report written to ${file}`);
    const html = readFileSync(file, "utf8");
    assert.match(html, /^<!DOCTYPE html>/i);
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href="http/i, "no external resources");
  });

  it("waives a finding from a waiver file", () => {
    const file = join(mkdtempSync(join(tmpdir(), "meshproof-waivers-")), "waivers.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: meshproof.dev/v1alpha1",
        "kind: WaiverList",
        "waivers:",
        "  - check: MP-ID-01",
        '    subject: "ServiceAccount sre/*"',
        "    reason: per-workload accounts come with the authorization phase",
        "    owner: platform-team",
        '    expires: "2999-12-31"',
        "",
      ].join("\n"),
    );
    const run = meshproof("verify", ...EXAMPLE, "--format", "json", "--waivers", file);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    const identity = result.checks.find((check: { id: string }) => check.id === "MP-ID-01");
    assert.equal(identity.verdict, "waived");
    const shared = identity.findings.find(
      (finding: { subject: string }) => finding.subject === "ServiceAccount sre/default",
    );
    assert.equal(shared.verdict, "waived");
    assert.equal(shared.waiver.owner, "platform-team");
    assert.equal(shared.waiver.originalVerdict, "warn");
    assert.equal(result.checks.at(-1).id, "MP-WAIVER-01");
  });

  it("counts outages against a baseline", () => {
    const baseline = join(mkdtempSync(join(tmpdir(), "meshproof-baseline-")), "before.json");
    const before = meshproof("verify", ...EXAMPLE, "--format", "json", "--output", baseline);
    assert.equal(before.code, 0, before.stderr);
    const run = meshproof("verify", ...EXAMPLE, "--format", "json", "--baseline", baseline);
    const result = JSON.parse(run.stdout);
    assert.equal(result.banner.outagesBasis, "baseline");
    assert.equal(result.banner.outages, 0);
    assert.equal(result.banner.baseline, baseline);
  });
});
