import type { RunResult } from "../run/result.js";
import { groupChecksByCategory, PROBLEM_VERDICTS } from "./common.js";
import { clean, formatBanner, formatCheckLine, formatFinding, type TextRenderOptions, textStyle } from "./text.js";

export type ShortRenderOptions = Pick<TextRenderOptions, "color" | "ascii">;

/**
 * Renders the short terminal report: the banner, then only the checks and findings that are warn,
 * fail or unknown, under their category. Prints "All checks pass." when there are none.
 */
export function renderShort(result: RunResult, options: ShortRenderOptions = {}): string {
  const style = textStyle(options);
  const lines = formatBanner(style, result, options.ascii === true);
  let problems = 0;

  for (const group of groupChecksByCategory(result)) {
    const checks = group.checks.filter((item) => PROBLEM_VERDICTS.has(item.verdict));
    if (checks.length === 0) continue;

    lines.push("", style.colors.bold(group.title));
    for (const item of checks) {
      problems += 1;
      lines.push(`  ${formatCheckLine(style, item)}`);
      for (const finding of item.findings.filter((candidate) => PROBLEM_VERDICTS.has(candidate.verdict))) {
        lines.push(...formatFinding(style, finding, "      "));
      }
      if (item.remediation) lines.push(`      remediation: ${clean(item.remediation, "        ")}`);
    }
  }

  if (result.checks.length === 0) lines.push("", "No checks ran.");
  else if (problems === 0) lines.push("", "All checks pass.");
  return `${lines.join("\n")}\n`;
}
