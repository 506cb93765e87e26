import type { RunResult } from "../run/result.js";
import { groupChecksByCategory, isPhaseGate, PROBLEM_VERDICTS } from "./common.js";
import {
  clean,
  formatBanner,
  formatCheckLine,
  formatClosingCounts,
  formatFinding,
  type TextRenderOptions,
  textStyle,
} from "./text.js";

export type ShortRenderOptions = Pick<TextRenderOptions, "color" | "ascii" | "width">;

/**
 * Renders the short terminal report: the banner, then only the checks and findings that are warn,
 * fail or unknown, under their category, and last the counts and the gate decisions. Phase gates
 * are left out of the list because verify's exit code ignores them, so only the gates line names
 * their decisions. Prints "All checks pass." when no other check has a problem.
 */
export function renderShort(result: RunResult, options: ShortRenderOptions = {}): string {
  const style = textStyle(options);
  const lines = formatBanner(style, result, options);
  const checks = result.checks.filter((item) => !isPhaseGate(item));
  let problems = 0;

  for (const group of groupChecksByCategory(result)) {
    const listed = group.checks.filter((item) => !isPhaseGate(item) && PROBLEM_VERDICTS.has(item.verdict));
    if (listed.length === 0) continue;

    lines.push("", style.colors.bold(group.title));
    for (const item of listed) {
      problems += 1;
      lines.push(`  ${formatCheckLine(style, item)}`);
      for (const finding of item.findings.filter((candidate) => PROBLEM_VERDICTS.has(candidate.verdict))) {
        lines.push(...formatFinding(style, finding, "      "));
      }
      if (item.remediation) lines.push(`      remediation: ${clean(item.remediation, "        ")}`);
    }
  }

  if (checks.length === 0) lines.push("", "No checks ran.");
  else if (problems === 0) lines.push("", "All checks pass.");
  lines.push("", ...formatClosingCounts(result));
  return `${lines.join("\n")}\n`;
}
