import type { DiffItem, DiffReport } from "./diff.js";

function section(title: string, items: DiffItem[], empty: string): string[] {
  const lines = [`${title} (${items.length})`];
  if (items.length === 0) lines.push(`  ${empty}`);
  for (const item of items) lines.push(`  ${item.subject}: ${item.message}  [${item.before} → ${item.after}]`);
  return lines;
}

/** Renders a diff for the terminal, regressions first because a change board reviews them first. */
export function renderDiffText(report: DiffReport): string {
  return [
    `meshproof diff: ${report.before.source} (${report.before.capturedAt ?? "capture time unknown"}) → ${report.after.source} (${report.after.capturedAt ?? "capture time unknown"})`,
    "",
    ...section("Regressions", report.regressions, "none"),
    "",
    ...section("Improvements", report.improvements, "none"),
    "",
    ...section("Mesh changes", report.meshChanges, "none"),
    "",
  ].join("\n");
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\n/g, " ");
}

export function renderDiffMarkdown(report: DiffReport): string {
  const table = (items: DiffItem[]) =>
    items.length === 0
      ? ["None."]
      : [
          "| subject | before | after | what changed |",
          "| --- | --- | --- | --- |",
          ...items.map(
            (item) =>
              `| ${escapeCell(item.subject)} | ${escapeCell(item.before)} | ${escapeCell(item.after)} | ${escapeCell(item.message)} |`,
          ),
        ];
  return [
    "## meshproof diff",
    "",
    `\`${escapeCell(report.before.source)}\` → \`${escapeCell(report.after.source)}\``,
    "",
    `### Regressions (${report.regressions.length})`,
    ...table(report.regressions),
    "",
    `### Improvements (${report.improvements.length})`,
    ...table(report.improvements),
    "",
    `### Mesh changes (${report.meshChanges.length})`,
    ...table(report.meshChanges),
    "",
  ].join("\n");
}
