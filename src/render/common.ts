import {
  CATEGORY_TITLES,
  type CheckCategory,
  type CheckResult,
  type Evidence,
  type Finding,
  type Verdict,
} from "../checks/types.js";
import type { RunResult, StateBanner, SummaryGroups } from "../run/result.js";
import { plural } from "../text.js";

/** Verdicts a reader has to look at: everything except pass, skip and waived. */
export const ATTENTION_VERDICTS: ReadonlySet<Verdict> = new Set(["warn", "fail", "info", "unknown"]);

/** Verdicts that count as not passing in the short report and the exit status: info and skip need no action. */
export const PROBLEM_VERDICTS: ReadonlySet<Verdict> = new Set(["warn", "fail", "unknown"]);

export const VERDICT_SYMBOLS: Record<Verdict, string> = {
  pass: "✔",
  warn: "⚠",
  fail: "✖",
  info: "ℹ",
  unknown: "?",
  skip: "⏭",
  waived: "⊘",
};

export const ASCII_VERDICT_SYMBOLS: Record<Verdict, string> = {
  pass: "[ok]",
  warn: "[warn]",
  fail: "[FAIL]",
  info: "[info]",
  unknown: "[unknown]",
  skip: "[skip]",
  waived: "[waived]",
};

/** The verdicts in the order reports list their counts. */
export const VERDICTS: readonly Verdict[] = ["pass", "warn", "fail", "info", "unknown", "skip", "waived"];

/**
 * Returns whether a report lists the check's findings: it needs attention, or it carries a waived
 * finding, which a waived or pass verdict would otherwise hide.
 */
export function showsFindings(check: CheckResult): boolean {
  return ATTENTION_VERDICTS.has(check.verdict) || check.findings.some((finding) => finding.verdict === "waived");
}

/** Returns whether the check is a phase gate. Gates judge the next phase, not the cluster now, so counts and exit codes leave them out. */
export function isPhaseGate(check: CheckResult): boolean {
  return check.category === "phase-gates";
}

/**
 * Labels of where evidence came from. Evidence from objects was never run. Its command is the
 * equivalent one, and its output is rebuilt from the snapshot or API objects.
 */
export const EVIDENCE_SOURCE_LABELS: Record<Evidence["source"], string> = {
  objects: "equivalent command; output rebuilt from the collected objects",
  live: "run live",
};

/** Describes the waiver behind a waived finding, e.g. `waived (was warn) until 2026-07-15 by sre: reason (waivers.yaml)`. */
export function describeWaiver(finding: Finding): string | undefined {
  const { waiver } = finding;
  if (!waiver) return undefined;
  return `waived (was ${waiver.originalVerdict}) until ${waiver.expires} by ${waiver.owner}: ${waiver.reason} (${waiver.file})`;
}

/** The four closing groups of every report, in the acceptance report's order. */
export const SUMMARY_GROUPS: ReadonlyArray<{ key: keyof SummaryGroups; title: string }> = [
  { key: "working", title: "Working" },
  { key: "flagged", title: "Flagged" },
  { key: "preExisting", title: "Pre-existing, not caused by the rollout" },
  { key: "notYetDone", title: "Not yet done (next phases)" },
];

export interface CategoryGroup {
  category: CheckCategory;
  title: string;
  checks: CheckResult[];
}

/**
 * Groups the checks by category in `result.categories` order. A category that has checks but is
 * missing from that list comes last, so no check is ever dropped from a report.
 */
export function groupChecksByCategory(result: RunResult): CategoryGroup[] {
  const order = [...result.categories];
  for (const item of result.checks) if (!order.includes(item.category)) order.push(item.category);

  return order
    .map((category) => ({
      category,
      title: CATEGORY_TITLES[category] ?? category,
      checks: result.checks.filter((item) => item.category === category),
    }))
    .filter((group) => group.checks.length > 0);
}

/**
 * Formats the state banner as one line, e.g.
 * `STATE: mTLS PERMISSIVE · 9 app services meshed + 1 canary · 0 outages · PAUSED before a / b`.
 * The ASCII form replaces the middle dot with `|`.
 */
export function formatBannerLine(banner: StateBanner, options: { ascii?: boolean } = {}): string {
  return `STATE: ${bannerParts(banner).join(options.ascii ? " | " : " · ")}`;
}

/**
 * Returns the phrases of the banner line, in order: mTLS mode, meshed counts, outages, and what is
 * paused. The outage phrase carries its caveats: `0 outages observed, no baseline` without a
 * baseline, and `(not measured: …)` when a source of outages could not be measured, so a bare
 * `0 outages` always means measured and none found.
 */
export function bannerParts(banner: StateBanner): string[] {
  const mtls = banner.plannedMtlsMode
    ? `mTLS ${banner.mtlsMode} (plan: ${banner.plannedMtlsMode})`
    : `mTLS ${banner.mtlsMode}`;
  const meshed = [plural(banner.appServicesMeshed, "app service"), "meshed"].join(" ");
  const canaries = banner.canariesMeshed > 0 ? ` + ${plural(banner.canariesMeshed, "canary", "canaries")}` : "";
  const basis = describeOutageBasis(banner);
  const notMeasured = describeNotMeasured(banner);
  let outages = basis ? `${plural(banner.outages, "outage")} ${basis}` : plural(banner.outages, "outage");
  if (notMeasured) outages += ` (${notMeasured})`;

  const parts = [mtls, `${meshed}${canaries}`, outages];
  if (banner.pausedBefore.length > 0) parts.push(`PAUSED before ${banner.pausedBefore.join(" / ")}`);
  return parts;
}

/** Returns `observed, no baseline` when the outages were not measured against a baseline, else undefined. */
export function describeOutageBasis(banner: StateBanner): string | undefined {
  return banner.outagesBasis === "observed" ? "observed, no baseline" : undefined;
}

/** Returns `not measured: A; B` for the outage sources this run could not measure, or undefined when there are none. */
export function describeNotMeasured(banner: StateBanner): string | undefined {
  const sources = banner.notMeasured;
  return sources.length > 0 ? `not measured: ${sources.join("; ")}` : undefined;
}

/** Returns the line under the banner that names the outage baseline, or undefined without a baseline. */
export function describeBaseline(banner: StateBanner): string | undefined {
  if (banner.outagesBasis !== "baseline") return undefined;
  return `Outages are regressions against baseline ${banner.baseline ?? "(unnamed)"}.`;
}

/** Header facts about where the data came from, each a short phrase. */
export function describeSource(result: RunResult): string[] {
  const { cluster, plan } = result;
  const facts = [`cluster ${cluster.name ?? "(unnamed)"}`, `${cluster.sourceType} ${cluster.source}`];
  if (cluster.capturedAt) {
    const timeSource = cluster.capturedAtSource ? ` (from ${cluster.capturedAtSource})` : "";
    facts.push(`captured ${cluster.capturedAt}${timeSource}`);
  } else {
    facts.push("capture time unknown");
  }
  facts.push(`Kubernetes ${cluster.kubernetesVersion ?? "version unknown"}`);
  facts.push(plan ? `plan ${plan.name} (${plan.file})` : "no plan");
  if (result.banner.phase) facts.push(`phase ${result.banner.phase}`);
  return facts;
}

/**
 * Formats the check counts, e.g. `16 checks: 7 pass, 3 warn, 2 fail, 2 info, 1 unknown, 1 skip`;
 * zero waived is left out. The counts leave out phase gates, which formatGates reports.
 */
export function formatCounts(result: RunResult): string {
  const total = VERDICTS.reduce((sum, verdict) => sum + (result.counts[verdict] ?? 0), 0);
  const listedVerdicts = VERDICTS.filter((verdict) => verdict !== "waived" || (result.counts.waived ?? 0) > 0);
  const parts = listedVerdicts.map((verdict) => `${result.counts[verdict] ?? 0} ${verdict}`);
  return `${plural(total, "check")}: ${parts.join(", ")}`;
}

/** The caveat the text, short, Markdown and HTML reports print beside the gate decisions, because verify's exit code ignores them. */
export const GATES_NOTE = "they do not change the exit code; run meshproof gate <phase-id>";

/**
 * Formats the gate decisions as one line, e.g.
 * `Phase gates: mesh-workers NO-GO, strict GO (they do not change the exit code; run meshproof gate <phase-id>)`,
 * or returns undefined when no gate ran.
 */
export function formatGates(result: RunResult): string | undefined {
  const { gates } = result;
  if (gates.length === 0) return undefined;
  const decisions = gates.map((gate) => `${gate.phase} ${gate.decision}`).join(", ");
  return `Phase gates: ${decisions} (${GATES_NOTE})`;
}

/** Formats the note that replaces the evidence lines a report leaves out. */
export function omittedNote(omitted: number, ellipsis = "…"): string {
  return `${ellipsis} ${omitted} more ${omitted === 1 ? "line" : "lines"} not shown; the JSON report has the full output`;
}

/** Splits evidence output into at most `maxLines` lines, and returns how many were left out. */
export function truncateLines(output: string, maxLines: number): { lines: string[]; omitted: number } {
  const lines = output.replace(/\r\n/g, "\n").replace(/\n$/, "").split("\n");
  if (lines.length <= maxLines) return { lines, omitted: 0 };
  return { lines: lines.slice(0, maxLines), omitted: lines.length - maxLines };
}

/**
 * Replaces control characters, other than tab and newline, with `\xNN` or `\u{NNNN}` escapes. Cluster
 * strings reach the terminal through these reports, and an ESC sequence or a bidirectional override
 * in an annotation must not recolour the screen or reorder the displayed text.
 */
export function escapeControlCharacters(value: string): string {
  return value.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (character) => {
      const code = character.charCodeAt(0);
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
    },
  );
}

export { plural };
