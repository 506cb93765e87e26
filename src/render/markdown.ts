import type { CheckResult, Evidence, Finding } from "../checks/types.js";
import type { RunResult } from "../run/result.js";
import {
  describeBaseline,
  describeSource,
  describeWaiver,
  EVIDENCE_SOURCE_LABELS,
  escapeControlCharacters,
  formatBannerLine,
  formatCounts,
  formatGates,
  groupChecksByCategory,
  omittedNote,
  SUMMARY_GROUPS,
  showsFindings,
  truncateLines,
  VERDICT_SYMBOLS,
} from "./common.js";

export interface MarkdownRenderOptions {
  /**
   * Maximum lines of output shown per evidence item of a check that does not pass.
   * @default 20
   */
  evidenceLines?: number;
}

/**
 * Escapes text for GitHub-flavoured Markdown, inline or in a table cell. Markup characters become
 * entities, and Markdown punctuation gets a backslash, `|` included, so a cell never splits. Line
 * breaks become spaces because a table row must stay on one line.
 */
export function escapeMarkdown(value: string): string {
  return escapeControlCharacters(value.replace(/\r?\n/g, " "))
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|~#]/g, (character) => `\\${character}`);
}

/** Returns a code fence longer than any run of backticks in `content`, so the content cannot close it. */
function fenceFor(content: string): string {
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  return "`".repeat(Math.max(3, longest + 1));
}

function formatFinding(finding: Finding): string[] {
  const lines = [
    `- ${VERDICT_SYMBOLS[finding.verdict]} ${finding.verdict} **${escapeMarkdown(finding.subject)}**: ${escapeMarkdown(finding.message)}`,
  ];
  const trust: string[] = [];
  if (finding.basis && finding.basis.length > 0) trust.push(`basis: ${finding.basis.map(escapeMarkdown).join(", ")}`);
  if (finding.strength) trust.push(`strength: ${finding.strength}`);
  if (trust.length > 0) lines.push(`  - ${trust.join("; ")}`);
  const waiver = describeWaiver(finding);
  if (waiver) lines.push(`  - ${escapeMarkdown(waiver)}`);
  if (finding.hint) lines.push(`  - Hint: ${escapeMarkdown(finding.hint)}`);
  return lines;
}

function formatEvidence(evidence: Evidence[], maxLines: number): string[] {
  if (evidence.length === 0) return [];
  const blocks = evidence.map((item) => {
    const output = truncateLines(escapeControlCharacters(item.output), maxLines);
    const body = [`$ ${escapeControlCharacters(item.command.replace(/\r?\n/g, " "))}`, ...output.lines];
    if (output.omitted > 0) body.push(omittedNote(output.omitted));
    const text = body.join("\n");
    const fence = fenceFor(text);
    const label = EVIDENCE_SOURCE_LABELS[item.source];
    return [`${label.charAt(0).toUpperCase()}${label.slice(1)}:`, "", fence, text, fence].join("\n");
  });
  return ["", "<details><summary>Evidence</summary>", "", ...blocks.flatMap((block) => [block, ""]), "</details>"];
}

function formatCheckSection(item: CheckResult, maxLines: number): string[] {
  const lines = [
    `### ${VERDICT_SYMBOLS[item.verdict]} ${escapeMarkdown(item.id)} ${escapeMarkdown(item.title)}`,
    "",
    escapeMarkdown(item.summary),
  ];
  const findings = item.findings.filter((finding) => finding.verdict !== "pass");
  if (findings.length > 0) lines.push("", ...findings.flatMap(formatFinding));
  const passing = item.findings.length - findings.length;
  if (passing > 0) lines.push("", `${passing} more ${passing === 1 ? "subject passes" : "subjects pass"}.`);
  if (item.remediation) lines.push("", `**Remediation:** ${escapeMarkdown(item.remediation)}`);
  lines.push(...formatEvidence(item.evidence, maxLines), "");
  return lines;
}

/**
 * Renders the report for change tickets and pull-request comments: the banner, one table of all
 * checks, a section per check that needs attention, and the four closing groups.
 */
export function renderMarkdown(result: RunResult, options: MarkdownRenderOptions = {}): string {
  const groups = groupChecksByCategory(result);
  const lines = [
    `## meshproof report: ${escapeMarkdown(result.cluster.name ?? result.cluster.source)}`,
    "",
    escapeMarkdown(describeSource(result).join(" · ")),
    "",
    `**${escapeMarkdown(formatBannerLine(result.banner))}**`,
  ];
  const { banner } = result;
  const baseline = describeBaseline(banner);
  if (baseline) lines.push("", escapeMarkdown(baseline));
  if (banner.outageSubjects.length > 0) {
    lines.push("", "Outages:", "", ...banner.outageSubjects.map((subject) => `- ${escapeMarkdown(subject)}`));
  }
  if (banner.nextStepWaitsOn && banner.nextStepWaitsOn.length > 0) {
    lines.push("", "Next step waits on:", "", ...banner.nextStepWaitsOn.map((item) => `- ${escapeMarkdown(item)}`));
  }

  lines.push("", formatCounts(result));
  const gates = formatGates(result);
  if (gates) lines.push("", escapeMarkdown(gates));
  lines.push("", "| Verdict | Check | Category | Title | Summary |", "| --- | --- | --- | --- | --- |");
  for (const group of groups) {
    for (const item of group.checks) {
      const cells = [
        `${VERDICT_SYMBOLS[item.verdict]} ${item.verdict}`,
        escapeMarkdown(item.id),
        escapeMarkdown(group.title),
        escapeMarkdown(item.title),
        escapeMarkdown(item.summary),
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    }
  }

  const attention = groups.flatMap((group) => group.checks).filter(showsFindings);
  if (attention.length > 0) {
    lines.push("", "## Checks that need attention", "");
    for (const item of attention) lines.push(...formatCheckSection(item, options.evidenceLines ?? 20));
  }

  if (result.collectionIssues.length > 0) {
    if (lines.at(-1) !== "") lines.push("");
    lines.push("## Could not read", "");
    for (const issue of result.collectionIssues) {
      const where = issue.namespace ? ` in ${escapeMarkdown(issue.namespace)}` : "";
      const permission = issue.permission ? ` (missing permission: ${escapeMarkdown(issue.permission)})` : "";
      lines.push(
        `- ${escapeMarkdown(issue.resource)}${where}: ${issue.reason}: ${escapeMarkdown(issue.message)}${permission}`,
      );
    }
  }

  for (const group of SUMMARY_GROUPS) {
    if (lines.at(-1) !== "") lines.push("");
    lines.push(`## ${group.title}`, "");
    const items = result.summary[group.key];
    lines.push(...(items.length === 0 ? ["None."] : items.map((item) => `- ${escapeMarkdown(item)}`)));
  }
  return `${lines.join("\n")}\n`;
}
