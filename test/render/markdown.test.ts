import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { escapeMarkdown, renderMarkdown } from "../../src/render/markdown.js";
import { fixtureRunResult } from "../fixtures/run-result.js";
import { assertGolden } from "./golden.js";

/** Splits a table row on the pipes that are not backslash-escaped. */
function cells(row: string): string[] {
  return row
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

describe("markdown report", () => {
  it("matches the golden file", () => {
    assertGolden("markdown.golden", renderMarkdown(fixtureRunResult()));
  });

  it("shows the banner in bold", () => {
    const output = renderMarkdown(fixtureRunResult());
    assert.ok(
      output.includes(
        "\n**STATE: mTLS PERMISSIVE · 9 app services meshed + 1 canary · 0 outages · PAUSED before mesh-workers / mesh-ingress / strict**\n",
      ),
    );
  });

  it("has one table row per check with five cells", () => {
    const result = fixtureRunResult();
    const rows = renderMarkdown(result)
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| Verdict") && !line.startsWith("| ---"));
    assert.equal(rows.length, result.checks.length);
    for (const row of rows) assert.equal(cells(row).length, 5, row);
    assert.deepEqual(cells(rows[0] ?? ""), [
      "✔ pass",
      "MP-CP-01",
      "Control plane",
      "istiod is running and healthy at the intended version",
      "Running, v1.23.2, 1/1 replicas ready.",
    ]);
  });

  it("escapes pipes, markup and backticks in table cells", () => {
    const result = fixtureRunResult();
    const target = result.checks.find((item) => item.id === "MP-CP-01");
    assert.ok(target);
    target.summary = "a | b <b>bold</b> `code` & [link](x)\nnext line";
    const row = renderMarkdown(result)
      .split("\n")
      .find((line) => line.startsWith("| ✔ pass | MP-CP-01 |"));
    assert.ok(row);
    assert.equal(cells(row).length, 5);
    assert.equal(cells(row)[4], "a \\| b &lt;b&gt;bold&lt;/b&gt; \\`code\\` &amp; \\[link\\](x) next line");
  });

  it("escapes hostile findings", () => {
    const output = renderMarkdown(fixtureRunResult());
    assert.ok(!output.includes("<script>"));
    assert.ok(!output.includes("<img"));
    assert.ok(output.includes('**StatefulSet sre/redis"&gt;&lt;img src=x onerror=alert(1)&gt;**'));
    assert.ok(output.includes("set \\\\x1b\\[31mred\\\\x1b\\[0m\\\\x07 \\| redis-0"));
    assert.ok(!output.includes("\u001b"));
  });

  it("adds sections only for checks that need attention", () => {
    const output = renderMarkdown(fixtureRunResult());
    const sections = [...output.matchAll(/^### \S+ (MP-[A-Z]+-[\w-]+) /gm)].map((match) => match[1]);
    assert.deepEqual(sections, [
      "MP-CP-02",
      "MP-SP-02",
      "MP-NS-02",
      "MP-INJ-02",
      "MP-EXT-01",
      "MP-AUTHZ-01",
      "MP-HEALTH-02",
      "MP-GATE-mesh-workers",
      "MP-GATE-mesh-ingress",
      "MP-GATE-strict",
      "MP-WAIVER-01",
    ]);
  });

  it("counts checks apart from the gate decisions", () => {
    const output = renderMarkdown(fixtureRunResult());
    assert.ok(
      output.includes(
        "\n17 checks: 8 pass, 2 warn, 1 fail, 3 info, 1 unknown, 1 skip, 1 waived\n\n" +
          "Phase gates: mesh-workers NO-GO, mesh-ingress UNDECIDED, strict NO-GO " +
          "(they do not change the exit code; run meshproof gate &lt;phase-id&gt;)\n",
      ),
    );
  });

  it("words the outage caveats in the banner", () => {
    const result = fixtureRunResult();
    result.banner.outagesBasis = "observed";
    result.banner.mtlsMode = "STRICT";
    result.banner.plannedMtlsMode = "PERMISSIVE";
    result.banner.notMeasured = ["HTTP probes (no recorded results in this input)"];
    assert.ok(
      renderMarkdown(result).includes(
        "\n**STATE: mTLS STRICT (plan: PERMISSIVE) · 9 app services meshed + 1 canary · " +
          "0 outages observed, no baseline (not measured: HTTP probes (no recorded results in this input)) · " +
          "PAUSED before mesh-workers / mesh-ingress / strict**\n",
      ),
    );
  });

  it("labels evidence rebuilt from objects", () => {
    const output = renderMarkdown(fixtureRunResult());
    assert.ok(
      output.includes(
        "Equivalent command; output rebuilt from the collected objects:\n\n```\n$ kubectl version -o json | jq -r .serverVersion.gitVersion\n",
      ),
    );
  });

  it("fences evidence longer than its backtick runs", () => {
    const result = fixtureRunResult();
    const target = result.checks.find((item) => item.id === "MP-CP-02");
    assert.ok(target?.evidence[0]);
    target.evidence[0].output = "before\n```\nafter";
    const output = renderMarkdown(result);
    assert.ok(
      output.includes("````\n$ kubectl version -o json | jq -r .serverVersion.gitVersion\nbefore\n```\nafter\n````"),
    );
  });

  it("closes with the four groups", () => {
    const result = fixtureRunResult();
    result.summary.notYetDone = [];
    const output = renderMarkdown(result);
    const headings = [...output.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    assert.deepEqual(headings.slice(-4), [
      "Working",
      "Flagged",
      "Pre-existing, not caused by the rollout",
      "Not yet done (next phases)",
    ]);
    assert.ok(output.endsWith("## Not yet done (next phases)\n\nNone.\n"));
  });

  it("escapes Markdown punctuation in a plain string", () => {
    assert.equal(escapeMarkdown("*a*_b_~c~#d\\e"), "\\*a\\*\\_b\\_\\~c\\~\\#d\\\\e");
  });
});
