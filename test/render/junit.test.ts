import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CATEGORY_TITLES } from "../../src/checks/types.js";
import { escapeXmlAttribute, escapeXmlText, renderJunit, stripInvalidXmlCharacters } from "../../src/render/junit.js";
import { fixtureRunResult, HOSTILE_MESSAGE, HOSTILE_SUBJECT } from "../fixtures/run-result.js";
import { parseXml, type XmlElement } from "./xml.js";

function testCases(suite: XmlElement): XmlElement[] {
  return suite.children.filter((child) => child.name === "testcase");
}

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((candidate) => candidate.name === name);
}

describe("junit report", () => {
  const result = fixtureRunResult();
  const root = parseXml(renderJunit(result));
  const suites = root.children;

  it("is one testsuite per category", () => {
    assert.equal(root.name, "testsuites");
    assert.deepEqual(
      suites.map((suite) => suite.attributes.name),
      result.categories.map((category) => CATEGORY_TITLES[category]),
    );
  });

  it("has testcases per check, finding and gate", () => {
    const gates = result.checks.filter((item) => item.category === "phase-gates");
    const others = result.checks.filter((item) => item.category !== "phase-gates");
    const expected = gates.length + others.length + others.reduce((sum, item) => sum + item.findings.length, 0);
    const all = suites.flatMap(testCases);
    assert.equal(all.length, expected);
    assert.equal(root.attributes.tests, String(expected));
    assert.ok(
      all.some(
        (testCase) => testCase.attributes.name === "MP-CP-01 istiod is running and healthy at the intended version",
      ),
    );
    assert.ok(all.some((testCase) => testCase.attributes.name === "MP-CP-01 Deployment istio-system/istiod"));
    for (const suite of suites) {
      const category = result.categories.find((candidate) => CATEGORY_TITLES[candidate] === suite.attributes.name);
      for (const testCase of testCases(suite)) assert.equal(testCase.attributes.classname, `meshproof.${category}`);
    }
  });

  it("counts failures, skips and tests per suite", () => {
    let failures = 0;
    let skipped = 0;
    for (const suite of suites) {
      const cases = testCases(suite);
      const suiteFailures = cases.filter((testCase) => child(testCase, "failure")).length;
      const suiteSkipped = cases.filter((testCase) => child(testCase, "skipped")).length;
      assert.equal(suite.attributes.tests, String(cases.length), suite.attributes.name);
      assert.equal(suite.attributes.failures, String(suiteFailures), suite.attributes.name);
      assert.equal(suite.attributes.skipped, String(suiteSkipped), suite.attributes.name);
      assert.equal(suite.attributes.errors, "0");
      failures += suiteFailures;
      skipped += suiteSkipped;
    }
    const verdicts = result.checks
      .filter((item) => item.category !== "phase-gates")
      .flatMap((item) => [item.verdict, ...item.findings.map((finding) => finding.verdict)]);
    assert.equal(failures, verdicts.filter((verdict) => verdict === "fail" || verdict === "unknown").length);
    assert.equal(skipped, verdicts.filter((verdict) => verdict === "skip").length);
    assert.equal(root.attributes.failures, String(failures));
    assert.equal(root.attributes.skipped, String(skipped));
  });

  it("maps verdicts to failure, skipped and system-out", () => {
    const all = new Map(suites.flatMap(testCases).map((testCase) => [testCase.attributes.name, testCase]));
    const failing = all.get("MP-INJ-02 No datastore carries a sidecar, now or after its next restart");
    assert.equal(failing && child(failing, "failure")?.attributes.type, "fail");
    const unknown = all.get("MP-SP-02 A SPIRE agent runs on every node that runs meshed pods");
    assert.equal(unknown && child(unknown, "failure")?.attributes.type, "unknown");
    const skipped = all.get("MP-ID-03 Every sidecar serves an SVID issued by SPIRE");
    assert.equal(
      skipped && child(skipped, "skipped")?.attributes.message,
      "Live evidence was not collected: the input is a snapshot.",
    );
    const warning = all.get("MP-CP-02 Istio and Kubernetes versions are a supported pairing");
    assert.ok(warning);
    assert.equal(child(warning, "failure"), undefined);
    const output = warning && child(warning, "system-out");
    assert.match(output?.text ?? "", /^warn: Istio 1\.23/);
  });

  it("reports gates in their own suite without failures", () => {
    const suite = suites.find((candidate) => candidate.attributes.name === "Phase gates");
    assert.ok(suite);
    assert.equal(suite.attributes.failures, "0");
    assert.equal(suite.attributes.errors, "0");
    assert.equal(suite.attributes.skipped, "0");
    const cases = testCases(suite);
    assert.deepEqual(
      cases.map((testCase) => testCase.attributes.name),
      [
        "MP-GATE-mesh-workers Phase mesh-workers is safe to start",
        "MP-GATE-mesh-ingress Phase mesh-ingress is safe to start",
        "MP-GATE-strict Phase strict is safe to start",
      ],
    );
    for (const testCase of cases) {
      assert.equal(child(testCase, "failure"), undefined, testCase.attributes.name);
      assert.equal(child(testCase, "error"), undefined, testCase.attributes.name);
      assert.equal(testCase.attributes.classname, "meshproof.phase-gates");
    }
    const decisions = cases.map((testCase) => {
      const properties = child(testCase, "properties")?.children ?? [];
      return properties.map((property) => [property.attributes.name, property.attributes.value]);
    });
    assert.deepEqual(decisions, [[["decision", "NO-GO"]], [["decision", "UNDECIDED"]], [["decision", "NO-GO"]]]);
  });

  it("puts a gate's decision and blocking findings in system-out", () => {
    const suite = suites.find((candidate) => candidate.attributes.name === "Phase gates");
    const [workers, ingress, strict] = suite ? testCases(suite) : [];
    const workersOut = (workers && child(workers, "system-out")?.text) ?? "";
    assert.deepEqual(workersOut.split("\n").slice(0, 3), [
      "Decision: NO-GO",
      "2 preconditions block mesh-workers.",
      "Blocking findings:",
    ]);
    assert.ok(workersOut.includes("\nfail ClusterSPIFFEID sre-workloads: Does not select namespace workers"));
    assert.ok(workersOut.endsWith("run meshproof gate mesh-workers."), workersOut);
    const ingressOut = (ingress && child(ingress, "system-out")?.text) ?? "";
    assert.ok(
      ingressOut.startsWith(
        "Decision: UNDECIDED\nUndecided: the Ingress objects could not be read.\nOther findings:\n",
      ),
      ingressOut,
    );
    assert.ok(ingressOut.includes("\nunknown Resource ingresses.networking.k8s.io: "));
    const strictOut = (strict && child(strict, "system-out")?.text) ?? "";
    assert.ok(!strictOut.includes("PeerAuthentication sre/vault-permissive"), "passing findings are left out");
  });

  it("skips a skipped gate", () => {
    const skippedResult = fixtureRunResult();
    const gate = skippedResult.checks.find((item) => item.id === "MP-GATE-strict");
    const entry = skippedResult.gates.find((candidate) => candidate.checkId === "MP-GATE-strict");
    assert.ok(gate);
    assert.ok(entry);
    gate.verdict = "skip";
    entry.decision = "SKIPPED";
    const suite = parseXml(renderJunit(skippedResult)).children.find((s) => s.attributes.name === "Phase gates");
    assert.ok(suite);
    assert.equal(suite.attributes.skipped, "1");
    const strict = testCases(suite).find((testCase) => testCase.attributes.name?.startsWith("MP-GATE-strict "));
    assert.ok(strict);
    assert.ok(child(strict, "skipped"));
    assert.ok(child(strict, "system-out")?.text.startsWith("Decision: SKIPPED\n"));
  });

  it("passes a waived finding with its waiver", () => {
    const waived = suites
      .flatMap(testCases)
      .find((testCase) => testCase.attributes.name === "MP-AUTHZ-01 ServiceAccount sre/default");
    assert.ok(waived);
    assert.equal(child(waived, "failure"), undefined);
    const output = child(waived, "system-out")?.text ?? "";
    assert.ok(output.startsWith("waived ServiceAccount sre/default: Used by 10 meshed workloads"), output);
    assert.ok(output.includes("\n  waived (was warn) until 2026-09-30 by sre-platform: "), output);
  });

  it("escapes hostile text and drops forbidden characters", () => {
    const all = suites.flatMap(testCases);
    const hostile = all.find((testCase) => testCase.attributes.name === `MP-INJ-02 ${HOSTILE_SUBJECT}`);
    assert.ok(hostile, "the hostile finding's testcase keeps its name");
    const failure = child(hostile, "failure");
    assert.equal(failure?.attributes.message, HOSTILE_MESSAGE.replaceAll("\u001b", "").replaceAll("\u0007", ""));
    assert.ok(failure?.text.includes("<script>alert(1)</script>"));
  });

  it("test parser rejects malformed XML", () => {
    const broken = [
      "<a><b></a>",
      "<a>&foo;</a>",
      '<a x="<"/>',
      "<a>\u0001</a>",
      "<a>&#1;</a>",
      "<a>x & y</a>",
      "<a/><b/>",
      '<a x="1" x="2"/>',
    ];
    for (const document of broken) assert.throws(() => parseXml(document), Error, document);
    assert.equal(parseXml('<a x="&lt;&#10;"><b/>t&amp;</a>').attributes.x, "<\n");
  });

  it("keeps line breaks in attributes", () => {
    assert.equal(escapeXmlAttribute("a\n\"b\"\t<c> & 'd'"), "a&#10;&quot;b&quot;&#9;&lt;c&gt; &amp; &apos;d&apos;");
  });

  it("strips characters XML 1.0 forbids", () => {
    assert.equal(stripInvalidXmlCharacters("a\u0000b\u001bc\ud800d\uffffe\u{1f600}\tf"), "abcde\u{1f600}\tf");
    assert.equal(escapeXmlText("x\u0008 < y"), "x &lt; y");
  });
});
