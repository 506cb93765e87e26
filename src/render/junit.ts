import type { CheckResult, Finding, Verdict } from "../checks/types.js";
import type { RunResult } from "../run/result.js";
import { describeWaiver, groupChecksByCategory } from "./common.js";

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

interface TestCase {
  name: string;
  verdict: Verdict;
  message: string;
  details: string;
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

/** Unknown counts as a failure: a pipeline must never read data it could not see as a pass. */
function isFailure(verdict: Verdict): boolean {
  return verdict === "fail" || verdict === "unknown";
}

function formatTestCase(testCase: TestCase, classname: string): string {
  const open = `    <testcase classname="${escapeXmlAttribute(classname)}" name="${escapeXmlAttribute(testCase.name)}">`;
  const message = escapeXmlAttribute(testCase.message);
  let body: string;
  if (isFailure(testCase.verdict)) {
    body = `      <failure message="${message}" type="${testCase.verdict}">${escapeXmlText(testCase.details)}</failure>`;
  } else if (testCase.verdict === "skip") {
    body = `      <skipped message="${message}"/>`;
  } else {
    body = `      <system-out>${escapeXmlText(testCase.details)}</system-out>`;
  }
  return [open, body, "    </testcase>"].join("\n");
}

/**
 * Renders JUnit XML: one testsuite per category and one testcase per check and per finding. fail and
 * unknown become `<failure>`, skip becomes `<skipped>`, and pass, warn, info and waived pass with the
 * details in `<system-out>`.
 */
export function renderJunit(result: RunResult): string {
  const suites: string[] = [];
  const totals = { tests: 0, failures: 0, skipped: 0 };

  for (const group of groupChecksByCategory(result)) {
    const classname = `meshproof.${group.category}`;
    const cases = group.checks.flatMap(testCasesFor);
    const failures = cases.filter((testCase) => isFailure(testCase.verdict)).length;
    const skipped = cases.filter((testCase) => testCase.verdict === "skip").length;
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
