import { ALL_CHECKS } from "./registry.js";
import { CATEGORY_TITLES, type CheckCategory } from "./types.js";

/** Renders the Markdown reference of every registered check, grouped by category in report order. */
export function renderCheckReference(): string {
  const lines = [
    "# Checks",
    "",
    "Every check meshproof runs, in report order. Ids are stable and never reused. Generated from",
    "src/checks by `npx tsx scripts/gen-check-docs.ts`.",
    "",
    "Phase gates (`MP-GATE-<phase id>`) are built from the plan, one per next phase, and run last;",
    "`MP-WAIVER-01` appears when a waiver file is given.",
    "",
  ];
  for (const category of Object.keys(CATEGORY_TITLES) as CheckCategory[]) {
    const checks = ALL_CHECKS.filter((check) => check.category === category);
    if (checks.length === 0) continue;
    lines.push(`## ${CATEGORY_TITLES[category]}`, "");
    for (const check of checks) {
      lines.push(`### ${check.id}: ${check.title}`, "", check.proves, "");
      lines.push(`- Reads: ${check.reads.join("; ")}`);
      if (check.requiresPlan) lines.push("- Needs a plan: skipped without one.");
      if (check.needs?.length) lines.push(`- Unknown when these could not be read: ${check.needs.join(", ")}`);
      lines.push("");
    }
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
