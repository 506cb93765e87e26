import type { CheckResult, Finding, Verdict } from "../checks/types.js";
import type { RunResult } from "../run/result.js";
import { type CategoryGroup, describeWaiver, groupChecksByCategory, isPhaseGate } from "./common.js";

/**
 * Removes the characters XML 1.0 forbids anywhere in a document: C0 controls other than tab, LF and
 * CR, lone surrogates, U+FFFE and U+FFFF. Escaping cannot save them, because `&#1;` is not allowed either.
 */
export function stripInvalidXmlCharacters(value: string): string {
  return value.replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, "");
}

export function escapeXmlText(value: string): string {
  return stripInvalidXmlCharacters(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes an attribute value; tab and line breaks become character references so parsers keep them. */
export function escapeXmlAttribute(value: string): string {
  return escapeXmlText(value)
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\t/g, "&#9;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;");
}

type GateResult = RunResult["gates"][number];

interface TestCase {
  name: string;
  verdict: Verdict;
  message: string;
  details: string;
  /** Set for a phase gate, whose testcase only reports: it never fails, because verify's exit code ignores gates. */
  decision?: GateResult["decision"];
}

function describeFinding(finding: Finding): string {
  const lines = [`${finding.verdict} ${finding.subject}: ${finding.message}`];
  if (finding.basis && finding.basis.length > 0) lines.push(`  basis: ${finding.basis.join(", ")}`);
  if (finding.strength) lines.push(`  strength: ${finding.strength}`);
  if (finding.hint) lines.push(`  hint: ${finding.hint}`);
  const waiver = describeWaiver(finding);
  if (waiver) lines.push(`  ${waiver}`);
  return lines.join("\n");
}

function testCasesFor(item: CheckResult): TestCase[] {
  const details = [`${item.verdict}: ${item.summary}`, ...item.findings.map(describeFinding)];
  if (item.remediation) details.push(`remediation: ${item.remediation}`);
  const checkCase = {
    name: `${item.id} ${item.title}`,
    verdict: item.verdict,
    message: item.summary,
    details: details.join("\n"),
  };
  const findingCases = item.findings.map((finding) => ({
    name: `${item.id} ${finding.subject}`,
    verdict: finding.verdict,
    message: finding.message,
    details: describeFinding(finding),
  }));
  return [checkCase, ...findingCases];
}

/**
 * Returns the one testcase of a gate, with the decision and the blocking findings (fail) before the
 * other findings that are not pass. A gate is one decision, so its findings get no testcases.
 */
function gateTestCase(item: CheckResult, gate: GateResult): TestCase {
  const blocking = item.findings.filter((finding) => finding.verdict === "fail");
  const other = item.findings.filter((finding) => finding.verdict !== "fail" && finding.verdict !== "pass");
  // Real gate summaries often start with the decision already, so it gets a line of its own.
  const details = [`Decision: ${gate.decision}`, item.summary];
  if (blocking.length > 0) details.push("Blocking findings:", ...blocking.map(describeFinding));
  if (other.length > 0) details.push("Other findings:", ...other.map(describeFinding));
  if (item.remediation) details.push(`remediation: ${item.remediation}`);
  details.push(`The decision does not change the exit code of meshproof verify; run meshproof gate ${gate.phase}.`);
  return {
    name: `${item.id} ${item.title}`,
    verdict: item.verdict,
    message: item.summary,
    details: details.join("\n"),
    decision: gate.decision,
  };
}

/** Unknown counts as a failure: a pipeline must never read data it could not see as a pass. Gates never fail. */
function isFailure(testCase: TestCase): boolean {
  return testCase.decision === undefined && (testCase.verdict === "fail" || testCase.verdict === "unknown");
}

function isSkipped(testCase: TestCase): boolean {
  return testCase.decision === undefined ? testCase.verdict === "skip" : testCase.decision === "SKIPPED";
}

function formatTestCase(testCase: TestCase, classname: string): string {
  const open = `    <testcase classname="${escapeXmlAttribute(classname)}" name="${escapeXmlAttribute(testCase.name)}">`;
  const message = escapeXmlAttribute(testCase.message);
  const body: string[] = [];
  if (testCase.decision !== undefined) {
    body.push(
      "      <properties>",
      `        <property name="decision" value="${escapeXmlAttribute(testCase.decision)}"/>`,
      "      </properties>",
    );
  }
  if (isFailure(testCase)) {
    body.push(
      `      <failure message="${message}" type="${testCase.verdict}">${escapeXmlText(testCase.details)}</failure>`,
    );
  } else if (isSkipped(testCase)) {
    body.push(`      <skipped message="${message}"/>`);
    if (testCase.decision !== undefined) body.push(`      <system-out>${escapeXmlText(testCase.details)}</system-out>`);
  } else {
    body.push(`      <system-out>${escapeXmlText(testCase.details)}</system-out>`);
  }
  return [open, ...body, "    </testcase>"].join("\n");
}

function testCasesOf(group: CategoryGroup, result: RunResult): TestCase[] {
  return group.checks.flatMap((item) => {
    if (!isPhaseGate(item)) return testCasesFor(item);
    const gate = result.gates.find((candidate) => candidate.checkId === item.id);
    // runVerification lists every gate check in `gates`. The UNDECIDED fallback covers a result assembled by hand.
    return [
      gateTestCase(item, gate ?? { checkId: item.id, phase: item.id.replace(/^MP-GATE-/, ""), decision: "UNDECIDED" }),
    ];
  });
}

/**
 * Renders JUnit XML: one testsuite per category and one testcase per check and per finding. fail and
 * unknown become `<failure>`, skip becomes `<skipped>`, and pass, warn, info and waived pass with the
 * details in `<system-out>`. The "Phase gates" suite has one testcase per gate that never fails, so
 * the document agrees with verify's exit code: its decision is a `decision` property and its
 * blocking findings are in `<system-out>`, and only a SKIPPED gate is `<skipped>`.
 */
export function renderJunit(result: RunResult): string {
  const suites: string[] = [];
  const totals = { tests: 0, failures: 0, skipped: 0 };

  for (const group of groupChecksByCategory(result)) {
    const classname = `meshproof.${group.category}`;
    const cases = testCasesOf(group, result);
    const failures = cases.filter(isFailure).length;
    const skipped = cases.filter(isSkipped).length;
    totals.tests += cases.length;
    totals.failures += failures;
    totals.skipped += skipped;

    const attributes = [
      `name="${escapeXmlAttribute(group.title)}"`,
      `tests="${cases.length}"`,
      `failures="${failures}"`,
      `errors="0"`,
      `skipped="${skipped}"`,
      `timestamp="${escapeXmlAttribute(result.generatedAt)}"`,
      `hostname="${escapeXmlAttribute(result.cluster.name ?? result.cluster.source)}"`,
    ];
    suites.push(
      [
        `  <testsuite ${attributes.join(" ")}>`,
        ...cases.map((c) => formatTestCase(c, classname)),
        "  </testsuite>",
      ].join("\n"),
    );
  }

  const root = `<testsuites name="meshproof" tests="${totals.tests}" failures="${totals.failures}" errors="0" skipped="${totals.skipped}">`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', root, ...suites, "</testsuites>", ""].join("\n");
}
