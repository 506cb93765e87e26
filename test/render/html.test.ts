import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { CATEGORY_TITLES } from "../../src/checks/types.js";
import { DEFAULT_FLOW, resolveHop } from "../../src/render/html/flow.js";
import { renderHtml } from "../../src/render/html.js";
import { renderReport } from "../../src/render/index.js";
import { fixtureRunResult, HOSTILE_IMG, HOSTILE_PWNED_SCRIPT, HOSTILE_SCRIPT } from "../fixtures/run-result.js";

/** Returns the class attribute of the flow node drawn for `hop`. */
function hopClass(output: string, hop: string): string | undefined {
  return new RegExp(`<g class="([^"]*)" data-hop="${hop}">`).exec(output)?.[1];
}

describe("html report", () => {
  const result = fixtureRunResult();
  const output = renderHtml(result);

  it("escapes hostile strings", () => {
    assert.ok(!output.includes(HOSTILE_SCRIPT));
    assert.ok(!output.includes(HOSTILE_PWNED_SCRIPT));
    assert.ok(!output.includes(HOSTILE_IMG));
    assert.ok(!output.includes("<img"));
    assert.ok(output.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert.ok(output.includes("StatefulSet sre/redis&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert.ok(output.includes("CHG-1 &amp; CHG-2"));
  });

  it("contains only its own script", () => {
    assert.equal(output.match(/<script/g)?.length, 1);
  });

  it("fetches nothing from outside", () => {
    assert.doesNotMatch(output, /<(link|iframe|img|object|embed)\b/i);
    assert.doesNotMatch(output, /\b(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    assert.doesNotMatch(output, /@import|url\((?!#arrow\))/i);
  });

  it("allows its script by hash in the policy", () => {
    const script = /<script>(.*?)<\/script>/s.exec(output)?.[1] ?? "";
    const hash = createHash("sha256").update(script).digest("base64");
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(output)?.[1] ?? "";
    assert.ok(policy.startsWith("default-src &#39;none&#39;; "), policy);
    assert.ok(policy.includes(`script-src &#39;sha256-${hash}&#39;`), policy);
  });

  it("has a heading per category in order", () => {
    const headings = [...output.matchAll(/<h2 id="category-([a-z-]+)-heading">([^<]*)<\/h2>/g)];
    assert.deepEqual(
      headings.map((match) => match[1]),
      result.categories,
    );
    assert.deepEqual(
      headings.map((match) => match[2]),
      result.categories.map((category) => CATEGORY_TITLES[category]),
    );
  });

  it("shows the banner line", () => {
    const state = /<p class="state">(.*?)<\/p>/.exec(output)?.[1] ?? "";
    assert.equal(
      state.replace(/<[^>]+>/g, ""),
      "STATE: mTLS PERMISSIVE · 9 app services meshed + 1 canary · 0 outages · PAUSED before mesh-workers / mesh-ingress / strict",
    );
  });

  it("colours flow hops from check verdicts", () => {
    assert.equal(hopClass(output, "datastores"), "hop v-fail");
    assert.equal(hopClass(output, "vault"), "hop v-pass");
    assert.equal(hopClass(output, "postgres"), "hop v-warn");
    assert.equal(hopClass(output, "istiod"), "hop v-warn");
    assert.equal(hopClass(output, "spire-agent"), "hop v-unknown");
    assert.equal(hopClass(output, "ingress"), "hop v-pass");
  });

  it("takes a hop mapping from the options", () => {
    const custom = renderHtml(result, {
      flow: { hops: [{ id: "datastores", label: "Datastores", checkIds: ["MP-CP-01"] }] },
    });
    assert.equal(hopClass(custom, "datastores"), "hop v-pass");
    assert.equal(hopClass(custom, "vault"), undefined);
  });

  it("falls back to categories when no check id ran", () => {
    const hop = { id: "x", label: "X", checkIds: ["MP-NONE-01"], categories: ["injection" as const] };
    const resolved = resolveHop(hop, result);
    assert.equal(resolved.matchedBy, "categories");
    assert.equal(resolved.verdict, "fail");
    assert.deepEqual(
      resolved.checks.map((item) => item.id),
      ["MP-INJ-01", "MP-INJ-02"],
    );
  });

  it("leaves a hop without checks uncoloured", () => {
    const resolved = resolveHop({ id: "x", label: "X", checkIds: ["MP-NONE-*"] }, result);
    assert.equal(resolved.matchedBy, "nothing");
    assert.equal(resolved.verdict, undefined);
  });

  it("draws every default hop", () => {
    for (const hop of DEFAULT_FLOW.hops) assert.ok(hopClass(output, hop.id), hop.id);
  });

  it("puts evidence output in details with a truncation note", () => {
    const short = renderHtml(result, { evidenceLines: 5 });
    assert.ok(short.includes("<summary>Output (13 lines)</summary>"));
    assert.ok(short.includes("\n… 8 more lines not shown; the JSON report has the full output</code></pre>"));
    assert.ok(
      short.includes("<pre><code>$ kubectl get pods -A -l &#39;app.kubernetes.io/part-of=spire&#39;</code></pre>"),
    );
  });

  it("labels where evidence came from", () => {
    const spire = /<article class="check v-pass" id="check-MP-SP-01">(.*?)<\/article>/s.exec(output)?.[1] ?? "";
    assert.ok(
      spire.includes(
        '</code></pre>\n<p class="evidence-source">equivalent command — output rebuilt from the collected objects</p>',
      ),
    );
    const probe = /<article class="check v-pass" id="check-MP-PROBE-01">(.*?)<\/article>/s.exec(output)?.[1] ?? "";
    assert.ok(probe.includes('<p class="evidence-source">run live</p>'));
    assert.ok(!output.includes("objects)</summary>"));
  });

  it("shows a waived finding with its waiver", () => {
    const section = /<article class="check v-waived" id="check-MP-AUTHZ-01">(.*?)<\/article>/s.exec(output)?.[1] ?? "";
    assert.ok(section.includes('<span class="badge v-waived">⊘ waived</span>'));
    assert.ok(
      section.includes(
        '<div class="waiver">waived (was warn) until 2026-09-30 by sre-platform: Per-workload ServiceAccounts come after the STRICT flip. (waivers.yaml)</div>',
      ),
    );
  });

  it("names the outage baseline", () => {
    assert.ok(output.includes("Outages are regressions against baseline snapshots/2026-06-28-pre-window.json."));
    assert.ok(output.includes('<div class="tile"><dt>Outages</dt><dd>0</dd></div>'));
  });

  it("shows outage caveats on the state line and the outages card", () => {
    const changed = fixtureRunResult();
    changed.banner.outagesBasis = "observed";
    delete changed.banner.baseline;
    changed.banner.notMeasured = ["HTTP probes (no recorded results in this input)"];
    const page = renderHtml(changed);
    const state = /<p class="state">(.*?)<\/p>/.exec(page)?.[1] ?? "";
    assert.ok(
      state
        .replace(/<[^>]+>/g, "")
        .includes(
          " · 0 outages observed, no baseline (not measured: HTTP probes (no recorded results in this input)) · ",
        ),
      state,
    );
    assert.ok(
      page.includes(
        '<div class="tile"><dt>Outages</dt><dd>0</dd><dd class="note">observed, no baseline</dd>' +
          '<dd class="note">not measured: HTTP probes (no recorded results in this input)</dd></div>',
      ),
    );
  });

  it("shows the planned mTLS mode beside a different one", () => {
    const changed = fixtureRunResult();
    changed.banner.mtlsMode = "STRICT";
    changed.banner.plannedMtlsMode = "PERMISSIVE";
    const page = renderHtml(changed);
    assert.ok(
      page.includes('<div class="tile"><dt>mTLS</dt><dd>STRICT</dd><dd class="note">plan: PERMISSIVE</dd></div>'),
    );
    assert.ok(page.includes("<span>mTLS STRICT (plan: PERMISSIVE)</span>"));
  });

  it("lists gate decisions apart from the check counts", () => {
    const counts = /<ul class="counts" aria-label="Checks by verdict">(.*?)<\/ul>/.exec(output)?.[1] ?? "";
    assert.ok(counts.includes('<li class="badge v-fail">1 fail</li>'), counts);
    const gates = /<p class="gates">(.*?)<\/p>/.exec(output)?.[1] ?? "";
    assert.equal(
      gates.replace(/<[^>]+>/g, ""),
      "Phase gates: mesh-workers NO-GO, mesh-ingress UNDECIDED, strict NO-GO (they do not change the exit code; run meshproof gate &lt;phase-id&gt;)",
    );
    assert.ok(gates.includes('mesh-ingress <span class="badge v-unknown">UNDECIDED</span>'));
  });

  it("colours the banner without the gates", () => {
    const changed = fixtureRunResult();
    changed.checks = changed.checks.filter(
      (item) => item.category === "phase-gates" || item.verdict === "pass" || item.verdict === "info",
    );
    assert.ok(renderHtml(changed).includes('<section class="banner v-info" aria-label="State">'));
    assert.ok(output.includes('<section class="banner v-fail" aria-label="State">'));
  });

  it("words the input counts in the singular", () => {
    const changed = fixtureRunResult();
    changed.input.secretsDropped = 1;
    const page = renderHtml(changed);
    assert.ok(
      page.includes(
        "Read 1 file: 64 Pod, 21 Deployment, 7 StatefulSet, 2 PeerAuthentication, 1 ServiceEntry. 1 Secret dropped without reading.",
      ),
    );
    assert.ok(output.includes(". 14 Secrets dropped without reading."));
  });

  it("lists the four summary groups", () => {
    for (const title of [
      "Working",
      "Flagged",
      "Pre-existing, not caused by the rollout",
      "Not yet done (next phases)",
    ]) {
      assert.ok(output.includes(`<h3>${title}</h3>`), title);
    }
  });

  it("has print and phone styles", () => {
    assert.match(output, /@media print \{[^@]*details::details-content/);
    assert.match(output, /@media \(max-width: 640px\)/);
    assert.ok(output.includes('<meta name="viewport" content="width=device-width, initial-scale=1">'));
  });

  it("is returned by renderReport", async () => {
    assert.equal(await renderReport(result, "html"), output);
  });
});
