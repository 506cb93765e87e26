import type { PlanPhase } from "../../plan/schema.js";
import type { CheckCategory, CheckContext, CheckOutcome, CheckResult, Evidence, Finding, Verdict } from "../types.js";

/** A gate finding with the short line the banner shows when it holds up the next step. */
export interface GateItem extends Finding {
  short?: string;
}

/** GO: nothing blocks. NO-GO: a finding blocks. UNDECIDED: nothing blocks, but data the gate needs is missing. */
export type GateDecision = "GO" | "NO-GO" | "UNDECIDED";

export interface GateParts {
  items: GateItem[];
  evidence: Evidence[];
}

const DECISION_VERDICTS: Record<GateDecision, Verdict> = { GO: "pass", "NO-GO": "fail", UNDECIDED: "unknown" };

/** Decides a gate from its findings: any fail blocks, and otherwise any unknown leaves it undecided. */
export function decide(items: readonly Finding[]): GateDecision {
  if (items.some((item) => item.verdict === "fail")) return "NO-GO";
  if (items.some((item) => item.verdict === "unknown")) return "UNDECIDED";
  return "GO";
}

/** Returns the short line of an item for the banner: its own short text, or the subject and the message's first sentence. */
export function shortLine(item: GateItem): string {
  if (item.short) return item.short;
  const sentence = item.message.split(/(?<=\.)\s/)[0] ?? item.message;
  return `${item.subject}: ${sentence.replace(/\.$/, "")}`;
}

/**
 * Folds a gate's items into its outcome. The verdict is set explicitly: pass for GO even when
 * warnings need a sign-off, fail for NO-GO, unknown when the gate cannot decide.
 */
export function gateOutcome(phase: PlanPhase, parts: GateParts, waitsOn: boolean): CheckOutcome {
  const decision = decide(parts.items);
  const blocking = parts.items.filter((item) => item.verdict === "fail");
  const undecided = parts.items.filter((item) => item.verdict === "unknown");
  const signOff = parts.items.filter((item) => item.verdict === "warn");
  const holding = [...blocking, ...undecided].map(shortLine);

  const signOffText = signOff.length ? `; ${signOff.length} to sign off` : "";
  let summary: string;
  if (decision === "NO-GO") {
    summary = `NO-GO: ${blocking.length} blocking finding${blocking.length === 1 ? "" : "s"}: ${blocking.map(shortLine).join("; ")}${undecided.length ? `; ${undecided.length} not measured` : ""}${signOffText}.`;
  } else if (decision === "UNDECIDED") {
    summary = `UNDECIDED (not GO): ${undecided.map(shortLine).join("; ")}${signOffText}.`;
  } else {
    summary = `GO: every precondition holds${signOffText}.`;
  }

  const facts: Record<string, unknown> = {
    gate: decision,
    phase: phase.id,
    phaseType: phase.type,
    blocking: holding,
  };
  if (waitsOn && holding.length > 0) facts.nextStepWaitsOn = holding.map((line) => `${phase.id}: ${line}`);

  return {
    summary,
    findings: parts.items.map(({ short: _short, ...finding }) => finding),
    evidence: parts.evidence,
    verdict: DECISION_VERDICTS[decision],
    remediation:
      decision === "GO" ? undefined : `Fix the blocking findings, then run \`meshproof gate ${phase.id}\` again.`,
    facts,
  };
}

/** Findings of earlier checks in some categories that a predicate selects, with the check they came from. */
export function relatedFindings(
  context: CheckContext,
  categories: readonly CheckCategory[],
  select: (finding: Finding, result: CheckResult) => boolean,
): Array<{ result: CheckResult; finding: Finding }> {
  const related: Array<{ result: CheckResult; finding: Finding }> = [];
  for (const result of context.results?.values() ?? []) {
    if (!categories.includes(result.category)) continue;
    for (const finding of result.findings) if (select(finding, result)) related.push({ result, finding });
  }
  return related;
}

/** Returns the result of an earlier check, when it ran. */
export function resultOf(context: CheckContext, id: string): CheckResult | undefined {
  return context.results?.get(id);
}
