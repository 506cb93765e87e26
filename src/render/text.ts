import pc from "picocolors";
import type { CheckResult, Evidence, Finding, Verdict } from "../checks/types.js";
import type { RunResult } from "../run/result.js";
import {
  ASCII_VERDICT_SYMBOLS,
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
  plural,
  SUMMARY_GROUPS,
  showsFindings,
  truncateLines,
  VERDICT_SYMBOLS,
} from "./common.js";

export interface TextRenderOptions {
  /**
   * Colour the output with ANSI codes. The CLI sets it from isTTY and NO_COLOR.
   * @default false
   */
  color?: boolean;
  /**
   * Use ASCII verdict tags (`[ok]`, `[FAIL]`) and separators instead of Unicode symbols.
   * @default false
   */
  ascii?: boolean;
  /**
   * Print what each check proves, passing findings and evidence (command and output).
   * @default false
   */
  verbose?: boolean;
  /**
   * Maximum lines of output printed per evidence item in verbose mode.
   * @default 20
   */
  evidenceLines?: number;
  /**
   * Terminal width in columns: a banner line longer than this wraps at spaces. The CLI sets it from
   * the terminal's width.
   * @default undefined, which keeps the banner on one line
   */
  width?: number;
}

/** The formatting a text report needs, resolved once from the options. */
export interface TextStyle {
  colors: ReturnType<typeof pc.createColors>;
  symbols: Record<Verdict, string>;
  separator: string;
  ellipsis: string;
}

export function textStyle(options: TextRenderOptions): TextStyle {
  return {
    colors: pc.createColors(options.color === true),
    symbols: options.ascii ? ASCII_VERDICT_SYMBOLS : VERDICT_SYMBOLS,
    separator: options.ascii ? " - " : " — ",
    ellipsis: options.ascii ? "..." : "…",
  };
}

/** Makes a cluster string safe to print and indents its continuation lines with `indent`. */
export function clean(value: string, indent = ""): string {
  return escapeControlCharacters(value.replace(/\r\n/g, "\n")).replace(/\n/g, `\n${indent}`);
}

export function colorVerdict(style: TextStyle, verdict: Verdict, text: string): string {
  const { colors } = style;
  const paint: Record<Verdict, (value: string) => string> = {
    pass: colors.green,
    warn: colors.yellow,
    fail: colors.red,
    info: colors.blue,
    unknown: colors.magenta,
    skip: colors.gray,
    waived: colors.cyan,
  };
  return paint[verdict](text);
}

/** Formats a check as one line: symbol, id, title and summary. */
export function formatCheckLine(style: TextStyle, item: CheckResult): string {
  const symbol = colorVerdict(style, item.verdict, style.symbols[item.verdict]);
  const title = `${style.colors.bold(clean(item.id))} ${clean(item.title)}`;
  return `${symbol} ${title}${style.separator}${clean(item.summary, "    ")}`;
}

/** Formats one finding as indented lines: symbol, subject and message, then basis, strength and hint. */
export function formatFinding(style: TextStyle, finding: Finding, indent: string): string[] {
  const symbol = colorVerdict(style, finding.verdict, style.symbols[finding.verdict]);
  const detailIndent = `${indent}  `;
  const lines = [
    `${indent}${symbol} ${style.colors.bold(clean(finding.subject))}: ${clean(finding.message, detailIndent)}`,
  ];

  const trust: string[] = [];
  if (finding.basis && finding.basis.length > 0) trust.push(`basis: ${finding.basis.map((b) => clean(b)).join(", ")}`);
  if (finding.strength) trust.push(`strength: ${finding.strength}`);
  if (trust.length > 0) lines.push(style.colors.dim(`${detailIndent}${trust.join("; ")}`));
  const waiver = describeWaiver(finding);
  if (waiver) lines.push(colorVerdict(style, "waived", `${detailIndent}${clean(waiver, `${detailIndent}  `)}`));
  if (finding.hint) lines.push(`${detailIndent}hint: ${clean(finding.hint, `${detailIndent}  `)}`);
  return lines;
}

function formatEvidence(style: TextStyle, evidence: Evidence, indent: string, maxLines: number): string[] {
  const prompt = style.colors.dim(`${indent}$ `);
  const label = style.colors.dim(`   (${EVIDENCE_SOURCE_LABELS[evidence.source]})`);
  const lines = [`${prompt}${clean(evidence.command, `${indent}  `)}${label}`];
  const output = truncateLines(evidence.output, maxLines);
  for (const line of output.lines) lines.push(`${indent}  ${clean(line)}`);
  if (output.omitted > 0) {
    lines.push(style.colors.dim(`${indent}  ${omittedNote(output.omitted, style.ellipsis)}`));
  }
  return lines;
}

function formatCheck(style: TextStyle, item: CheckResult, options: TextRenderOptions): string[] {
  const lines = [`  ${formatCheckLine(style, item)}`];
  const verbose = options.verbose === true;
  const indent = "      ";

  if (verbose && item.proves) lines.push(style.colors.dim(`${indent}proves: ${clean(item.proves)}`));

  if (verbose || showsFindings(item)) {
    const listedFindings = verbose ? item.findings : item.findings.filter((finding) => finding.verdict !== "pass");
    for (const finding of listedFindings) lines.push(...formatFinding(style, finding, indent));
    const hidden = item.findings.length - listedFindings.length;
    if (hidden > 0) {
      lines.push(style.colors.dim(`${indent}(${hidden} more ${hidden === 1 ? "subject passes" : "subjects pass"})`));
    }
    if (item.remediation) lines.push(`${indent}remediation: ${clean(item.remediation, `${indent}  `)}`);
  }

  if (verbose) {
    for (const evidence of item.evidence)
      lines.push(...formatEvidence(style, evidence, indent, options.evidenceLines ?? 20));
  }
  return lines;
}

/**
 * Wraps the banner line at spaces to `width` columns, indenting continuation lines under the text
 * after `STATE: `. A separator stays at the end of its line, and a word longer than a line overflows.
 */
export function wrapBanner(line: string, width: number | undefined, separator: string): string[] {
  if (width === undefined || line.length <= width) return [line];
  const indent = " ".repeat("STATE: ".length);
  const words: string[] = [];
  for (const word of line.split(" ")) {
    if (word === separator && words.length > 0) words[words.length - 1] += ` ${word}`;
    else words.push(word);
  }

  const lines: string[] = [];
  let current = "";
  for (const word of words) {
    if (current === "") {
      current = word;
    } else if (current.length + 1 + word.length > width) {
      lines.push(current);
      current = `${indent}${word}`;
    } else {
      current = `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines;
}

/** Formats the banner line, then the outage subjects and what the next step waits on. */
export function formatBanner(
  style: TextStyle,
  result: RunResult,
  options: Pick<TextRenderOptions, "ascii" | "width">,
): string[] {
  const { banner } = result;
  const ascii = options.ascii === true;
  const line = clean(formatBannerLine(banner, { ascii }));
  const lines = wrapBanner(line, options.width, ascii ? "|" : "·").map((part) => style.colors.bold(part));
  const baseline = describeBaseline(banner);
  if (baseline) lines.push(`  ${clean(baseline)}`);
  if (banner.outageSubjects.length > 0) {
    lines.push("  Outages:");
    for (const subject of banner.outageSubjects) lines.push(`    ${style.colors.red(clean(subject, "      "))}`);
  }
  if (banner.nextStepWaitsOn && banner.nextStepWaitsOn.length > 0) {
    lines.push("  Next step waits on:");
    for (const item of banner.nextStepWaitsOn) lines.push(`    ${clean(item, "      ")}`);
  }
  return lines;
}

function formatInput(style: TextStyle, result: RunResult, verbose: boolean): string[] {
  const { input, collectionIssues } = result;
  const lines: string[] = [];

  for (const issue of collectionIssues) {
    const where = issue.namespace ? ` in ${issue.namespace}` : "";
    const permission = issue.permission ? ` (missing permission: ${issue.permission})` : "";
    const symbol = colorVerdict(style, "unknown", style.symbols.unknown);
    lines.push(
      `  ${symbol} ${clean(issue.resource)}${where}: ${issue.reason}${style.separator}${clean(issue.message)}${permission}`,
    );
  }
  for (const skipped of input.skippedDocuments) {
    const where = skipped.line === undefined ? skipped.file : `${skipped.file}:${skipped.line}`;
    lines.push(`  skipped ${clean(where)}: ${clean(skipped.reason)}`);
  }
  for (const duplicate of input.duplicates) {
    lines.push(
      `  duplicate ${clean(duplicate.subject)}: kept ${clean(duplicate.keptFile)}, ignored ${clean(duplicate.firstFile)}`,
    );
  }
  for (const warning of input.warnings) lines.push(`  warning: ${clean(warning, "    ")}`);

  if (verbose) {
    const kinds = Object.entries(input.objectsByKind).map(([kind, count]) => `${count} ${clean(kind)}`);
    lines.push(`  read ${plural(input.files.length, "file")}: ${kinds.join(", ") || "no objects"}`);
    lines.push(`  Secrets dropped without reading: ${input.secretsDropped}`);
  }
  return lines.length > 0 ? [style.colors.bold("Input and collection"), ...lines, ""] : [];
}

/** Formats the four closing groups, each a heading followed by its items. */
export function formatSummaryGroups(style: TextStyle, result: RunResult): string[] {
  const groupSymbols: Verdict[] = ["pass", "warn", "info", "skip"];
  const lines: string[] = [];
  SUMMARY_GROUPS.forEach((group, index) => {
    if (index > 0) lines.push("");
    const verdict = groupSymbols[index] ?? "info";
    lines.push(`${colorVerdict(style, verdict, style.symbols[verdict])} ${style.colors.bold(group.title)}`);
    const items = result.summary[group.key];
    if (items.length === 0) lines.push("  (none)");
    for (const item of items) lines.push(`  - ${clean(item, "    ")}`);
  });
  return lines;
}

/** Formats the closing lines: the check counts, then the gate decisions when gates ran. */
export function formatClosingCounts(result: RunResult): string[] {
  const gates = formatGates(result);
  return gates ? [formatCounts(result), gates] : [formatCounts(result)];
}

/** Renders the terminal report: header, banner, checks by category, input problems and the four groups. */
export function renderText(result: RunResult, options: TextRenderOptions = {}): string {
  const style = textStyle(options);
  const ascii = options.ascii === true;
  const lines = [
    style.colors.bold(`meshproof ${clean(result.tool.version)} report`),
    clean(describeSource(result).join(ascii ? " | " : " · ")),
    "",
    ...formatBanner(style, result, options),
    "",
  ];

  for (const group of groupChecksByCategory(result)) {
    lines.push(style.colors.bold(style.colors.underline(group.title)));
    for (const item of group.checks) lines.push(...formatCheck(style, item, options));
    lines.push("");
  }

  lines.push(...formatInput(style, result, options.verbose === true));
  lines.push(...formatSummaryGroups(style, result), "", ...formatClosingCounts(result));
  return `${lines.join("\n")}\n`;
}
