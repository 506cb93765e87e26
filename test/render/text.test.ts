import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderText } from "../../src/render/text.js";
import { fixtureRunResult, HOSTILE_SUBJECT } from "../fixtures/run-result.js";
import { assertGolden } from "./golden.js";

const BANNER =
  "STATE: mTLS PERMISSIVE · 9 app services meshed + 1 canary · 0 outages · PAUSED before mesh-workers / mesh-ingress / strict";

/** Returns the lines printed under the check line that starts with `marker`, up to the next check or heading. */
function blockOf(output: string, marker: string): string[] {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => line.startsWith(marker));
  assert.notEqual(start, -1, `no line starts with ${JSON.stringify(marker)}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => !line.startsWith("      "));
  return end === -1 ? rest : rest.slice(0, end);
}

describe("text report", () => {
  it("matches the golden file", () => {
    assertGolden("text.golden", renderText(fixtureRunResult()));
  });

  it("matches the verbose golden file", () => {
    assertGolden("text-verbose.golden", renderText(fixtureRunResult(), { verbose: true, evidenceLines: 5 }));
  });

  it("prints the banner line exactly", () => {
    const lines = renderText(fixtureRunResult()).split("\n");
    assert.ok(lines.includes(BANNER));
  });

  it("opens with the source facts", () => {
    const lines = renderText(fixtureRunResult()).split("\n");
    assert.equal(lines[0], "meshproof 0.1.0 report");
    assert.equal(
      lines[1],
      "cluster lynkedup-tech · snapshot examples/snapshot · captured 2026-06-28T14:05:00.000Z (from snapshot-file) · " +
        "Kubernetes v1.36.0 · plan sre-mesh-rollout (examples/plan.yaml) · phase mesh-apps",
    );
  });

  it("lists a failing finding under its check", () => {
    const block = blockOf(
      renderText(fixtureRunResult()),
      "  ✖ MP-INJ-02 No datastore carries a sidecar, now or after its next restart — ",
    );
    assert.ok(block[0]?.startsWith(`      ✖ ${HOSTILE_SUBJECT}: annotation note=`), block[0]);
    assert.ok(block.includes("        basis: pod spec, sidecar.istio.io/status annotation; strength: strong"));
    assert.ok(
      block.includes(
        '        hint: Label the pod template sidecar.istio.io/inject: "false" and restart the StatefulSet.',
      ),
    );
    assert.ok(block.includes("      (2 more subjects pass)"));
    assert.ok(block.some((line) => line.startsWith("      remediation: Exclude datastores")));
  });

  it("prints info findings but not passing ones", () => {
    const output = renderText(fixtureRunResult());
    assert.equal(blockOf(output, "  ℹ MP-NS-02").length, 6);
    assert.deepEqual(blockOf(output, "  ✔ MP-CP-01"), []);
    assert.ok(!output.includes("StatefulSet sre/neo4j"));
  });

  it("writes no ANSI escape without colour", () => {
    const output = renderText(fixtureRunResult(), { verbose: true });
    assert.ok(!output.includes("\u001b"));
    assert.ok(!output.includes("\u0007"));
  });

  it("escapes control characters from the cluster", () => {
    const output = renderText(fixtureRunResult(), { verbose: true });
    assert.ok(output.includes("set \\x1b[31mred\\x1b[0m\\x07 | redis-0"));
    assert.ok(output.includes("CHG-1 & CHG-2 \\x00\\x1b[2J\\u{202e}evil"));
    assert.ok(!output.includes("\u202e"));
  });

  it("colours verdicts when asked", () => {
    const output = renderText(fixtureRunResult(), { color: true });
    assert.ok(output.includes("\u001b[31m✖\u001b[39m"));
    assert.ok(output.includes("\u001b[32m✔\u001b[39m"));
  });

  it("uses ASCII symbols when asked", () => {
    const output = renderText(fixtureRunResult(), { ascii: true });
    assert.ok(output.includes("  [FAIL] MP-INJ-02 No datastore carries a sidecar, now or after its next restart - "));
    assert.ok(output.includes("  [unknown] MP-SP-02 "));
    assert.ok(output.includes("  [skip] MP-ID-03 "));
    assert.ok(output.includes("STATE: mTLS PERMISSIVE | 9 app services meshed + 1 canary | 0 outages | PAUSED before"));
    assert.doesNotMatch(output, /[✔⚠✖ℹ⏭·]/u);
  });

  it("prints evidence with a truncation note when verbose", () => {
    const block = blockOf(renderText(fixtureRunResult(), { verbose: true, evidenceLines: 5 }), "  ✔ MP-SP-01");
    const command = block.indexOf(
      "      $ kubectl get pods -A -l 'app.kubernetes.io/part-of=spire'   (equivalent command; output rebuilt from the collected objects)",
    );
    assert.notEqual(command, -1);
    assert.equal(block[command + 1], "        spire-server-0                 2/2   Running");
    assert.equal(block[command + 6], "        … 8 more lines not shown; the JSON report has the full output");
  });

  it("labels live evidence as run live", () => {
    const block = blockOf(renderText(fixtureRunResult(), { verbose: true }), "  ✔ MP-PROBE-01");
    assert.ok(
      block.includes("      $ curl -s -o /dev/null -w '%{http_code}' https://api.example.test/health   (run live)"),
      block.join("\n"),
    );
  });

  it("leaves evidence out unless verbose", () => {
    assert.ok(!renderText(fixtureRunResult()).includes("$ kubectl"));
  });

  it("lists outage subjects", () => {
    const result = fixtureRunResult();
    result.banner.outages = 2;
    result.banner.outageSubjects = ["Deployment sre/mdm-kernel", "Deployment sre/mdm-ai"];
    const lines = renderText(result).split("\n");
    const banner = lines.findIndex((line) => line.startsWith("STATE: "));
    assert.match(lines[banner] ?? "", / · 2 outages · /);
    assert.deepEqual(lines.slice(banner + 1, banner + 5), [
      "  Outages are regressions against baseline snapshots/2026-06-28-pre-window.json.",
      "  Outages:",
      "    Deployment sre/mdm-kernel",
      "    Deployment sre/mdm-ai",
    ]);
  });

  it("words counts in singular and plural", () => {
    const result = fixtureRunResult();
    result.banner = { ...result.banner, appServicesMeshed: 1, canariesMeshed: 0, outages: 1, pausedBefore: [] };
    assert.ok(renderText(result).includes("STATE: mTLS PERMISSIVE · 1 app service meshed · 1 outage\n"));
    result.banner.canariesMeshed = 2;
    assert.ok(renderText(result).includes("1 app service meshed + 2 canaries · "));
  });

  it("orders categories as the result lists them", () => {
    const result = fixtureRunResult();
    result.categories = ["phase-gates", "control-plane"];
    const headings = renderText(result)
      .split("\n")
      .filter((line) => /^[A-Z]/.test(line) && !line.startsWith("STATE"));
    assert.deepEqual(headings.slice(0, 3), ["Phase gates", "Control plane", "Trust domain"]);
  });

  it("closes with the four groups and the counts", () => {
    const result = fixtureRunResult();
    result.summary.preExisting = [];
    const output = renderText(result);
    const titles = [
      "✔ Working",
      "⚠ Flagged",
      "ℹ Pre-existing, not caused by the rollout",
      "⏭ Not yet done (next phases)",
    ];
    const positions = titles.map((title) => output.indexOf(`\n${title}\n`));
    assert.ok(
      positions.every((position) => position > 0),
      JSON.stringify(positions),
    );
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
    );
    assert.ok(output.includes("ℹ Pre-existing, not caused by the rollout\n  (none)\n"));
    assert.ok(
      output.endsWith(
        "\n17 checks: 8 pass, 2 warn, 1 fail, 3 info, 1 unknown, 1 skip, 1 waived\n" +
          "Phase gates: mesh-workers NO-GO, mesh-ingress UNDECIDED, strict NO-GO " +
          "(they do not change the exit code; run meshproof gate <phase-id>)\n",
      ),
    );
  });

  it("counts checks without the phase gates", () => {
    const result = fixtureRunResult();
    const gateChecks = result.checks.filter((item) => item.category === "phase-gates").length;
    const counted = Object.values(result.counts).reduce((sum, count) => sum + count, 0);
    assert.equal(gateChecks, 3);
    assert.equal(counted, result.checks.length - gateChecks);
    assert.ok(renderText(result).includes(`\n${counted} checks: `));
  });

  it("prints no gates line without gates", () => {
    const result = fixtureRunResult();
    result.gates = [];
    const output = renderText(result);
    assert.ok(!output.includes("Phase gates:"));
    assert.ok(output.endsWith("\n17 checks: 8 pass, 2 warn, 1 fail, 3 info, 1 unknown, 1 skip, 1 waived\n"));
  });

  it("shows a waived finding with its waiver", () => {
    const block = blockOf(
      renderText(fixtureRunResult()),
      "  ⊘ MP-AUTHZ-01 Workload identities are ready for per-workload authorization — ",
    );
    assert.equal(
      block[0],
      "      ⊘ ServiceAccount sre/default: Used by 10 meshed workloads: spiffe://insignia.tech/ns/sre/sa/default.",
    );
    assert.equal(
      block[2],
      "        waived (was warn) until 2026-09-30 by sre-platform: Per-workload ServiceAccounts come after the STRICT flip. (waivers.yaml)",
    );
  });

  it("shows the waived finding of a check that also passes", () => {
    const result = fixtureRunResult();
    const external = result.checks.find((item) => item.id === "MP-EXT-01");
    const finding = external?.findings[1];
    assert.ok(external);
    assert.ok(finding);
    // Waived ranks above pass, so a check with pass and waived findings is waived.
    external.verdict = "waived";
    finding.waiver = {
      originalVerdict: "warn",
      reason: "pool unused",
      owner: "dba",
      expires: "2026-08-01",
      file: "w.yaml",
    };
    finding.verdict = "waived";
    const block = blockOf(renderText(result), "  ⊘ MP-EXT-01 ");
    assert.ok(
      block[0]?.startsWith("      ⊘ ServiceEntry sre/do-managed-postgres: The plan lists port 25061"),
      block[0],
    );
    assert.ok(!block.some((line) => line.includes("TCP 25060")), "the passing finding stays hidden");
    assert.ok(block.includes("        waived (was warn) until 2026-08-01 by dba: pool unused (w.yaml)"));
  });

  it("marks outages without a baseline as observed", () => {
    const result = fixtureRunResult();
    result.banner.outagesBasis = "observed";
    delete result.banner.baseline;
    const output = renderText(result);
    assert.ok(
      output.includes(
        "STATE: mTLS PERMISSIVE · 9 app services meshed + 1 canary · 0 outages observed, no baseline · PAUSED before",
      ),
    );
    assert.ok(!output.includes("regressions against baseline"));
  });

  it("names outage sources that were not measured", () => {
    const result = fixtureRunResult();
    result.banner.outagesBasis = "observed";
    delete result.banner.baseline;
    result.banner.notMeasured = ["HTTP probes (no recorded results in this input)"];
    const lines = renderText(result).split("\n");
    assert.equal(
      lines.find((line) => line.startsWith("STATE: ")),
      "STATE: mTLS PERMISSIVE · 9 app services meshed + 1 canary · " +
        "0 outages observed, no baseline (not measured: HTTP probes (no recorded results in this input)) · " +
        "PAUSED before mesh-workers / mesh-ingress / strict",
    );
  });

  it("keeps the not-measured caveat with a baseline", () => {
    const result = fixtureRunResult();
    result.banner.notMeasured = ["HTTP probes (no recorded results in this input)", "telemetry"];
    const output = renderText(result);
    assert.ok(
      output.includes(" · 0 outages (not measured: HTTP probes (no recorded results in this input); telemetry) · "),
    );
    assert.ok(output.includes("  Outages are regressions against baseline snapshots/2026-06-28-pre-window.json."));
    assert.ok(!output.includes(" · 0 outages · "));
  });

  it("shows the planned mTLS mode beside a different one", () => {
    const result = fixtureRunResult();
    result.banner.mtlsMode = "STRICT";
    result.banner.plannedMtlsMode = "PERMISSIVE";
    assert.ok(renderText(result).includes("\nSTATE: mTLS STRICT (plan: PERMISSIVE) · 9 app services meshed"));
  });

  it("wraps the banner to the given width", () => {
    const result = fixtureRunResult();
    result.banner.outagesBasis = "observed";
    delete result.banner.baseline;
    result.banner.notMeasured = ["HTTP probes (no recorded results in this input)"];
    const lines = renderText(result, { width: 100 }).split("\n");
    const start = lines.findIndex((line) => line.startsWith("STATE: "));
    assert.deepEqual(lines.slice(start, start + 3), [
      "STATE: mTLS PERMISSIVE · 9 app services meshed + 1 canary · 0 outages observed, no baseline (not",
      "       measured: HTTP probes (no recorded results in this input)) · PAUSED before mesh-workers /",
      "       mesh-ingress / strict",
    ]);
    for (const line of lines.slice(start, start + 3)) assert.ok(line.length <= 100, line);
  });

  it("keeps a banner that fits the width on one line", () => {
    const lines = renderText(fixtureRunResult(), { width: 122 }).split("\n");
    assert.ok(lines.includes(BANNER));
    assert.equal(BANNER.length, 122);
  });

  it("words the input counts in the singular", () => {
    const result = fixtureRunResult();
    result.input.secretsDropped = 1;
    const output = renderText(result, { verbose: true });
    assert.ok(output.includes("\n  read 1 file: 64 Pod, "));
    assert.ok(output.includes("\n  Secrets dropped without reading: 1\n"));
  });

  it("reports what could not be read", () => {
    const output = renderText(fixtureRunResult());
    assert.ok(
      output.includes(
        '  ? spire-server in spire-server: forbidden — pods "spire-server-0" is forbidden: cannot create resource "pods/exec" (missing permission: create pods/exec)',
      ),
    );
    assert.ok(output.includes("  skipped examples/snapshot/extra.yaml:12: not a Kubernetes object: kind missing"));
  });
});
