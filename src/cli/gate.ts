import type { CheckResult } from "../checks/types.js";
import { ExitCode, UserError } from "../errors.js";
import type { RunResult } from "../run/result.js";
import { gateDecision } from "../run/result.js";
import { runVerification } from "../run/run.js";
import { writeOutputFile } from "./output.js";
import { collectState, loadPlanOption, type SourceOptions } from "./source.js";

export interface GateOptions extends SourceOptions {
  /** @default "text" */
  format: "text" | "json";
  /** Prometheus base URL; without it the strict gate cannot be GO. */
  prometheus?: string;
  /** @default "24h" */
  prometheusWindow?: string;
  /** Colour the text output; the CLI sets it from isTTY and NO_COLOR. @default false */
  color?: boolean;
  /** Write the gate to this file instead of standard output. */
  output?: string;
  /** Waiver file; waived findings show as waived in the gate and do not block it. */
  waivers?: string;
}

/** Version tag of the JSON a gate prints. */
export const GATE_RESULT_FORMAT = "meshproof.dev/gate-result/v1";

/**
 * Runs `meshproof gate <phase-id>`: verifies the cluster against the plan, then prints only the
 * gate of that phase. Returns 0 for GO and 1 for NO-GO or UNDECIDED, so a pipeline proceeds only on
 * GO. Throws UserError without a plan or for a phase the plan does not list.
 */
export async function gateCommand(phaseId: string, options: GateOptions): Promise<number> {
  if (!options.plan) {
    throw new UserError(
      "meshproof gate needs --plan FILE: the phases and what each one changes come from the rollout plan.",
    );
  }
  const plan = await loadPlanOption(options);
  if (!plan) throw new UserError("meshproof gate needs --plan FILE.");
  const phases = plan.spec.phases.next.map((phase) => phase.id);
  if (!phases.includes(phaseId)) {
    throw new UserError(
      phases.length
        ? `unknown phase "${phaseId}": the plan's next phases are ${phases.join(", ")}.`
        : `unknown phase "${phaseId}": the plan lists no next phases (spec.phases.next is empty).`,
    );
  }

  const state = await collectState(options, plan);
  const { gateId } = await import("../checks/gates.js");
  const waivers = options.waivers ? await (await import("../run/waivers.js")).loadWaivers(options.waivers) : undefined;
  const { result } = runVerification({ state, plan, planFile: options.plan, waivers });
  const gate = result.checks.find((check) => check.id === gateId(phaseId));
  if (!gate) throw new Error(`gate ${gateId(phaseId)} did not run`);

  const rendered =
    options.format === "json"
      ? renderGateJson(result, gate, phaseId)
      : await renderGateText(result, gate, options.color === true);
  const text = rendered.endsWith("\n") ? rendered : `${rendered}\n`;
  if (options.output) await writeOutputFile(options.output, text, "--output");
  else process.stdout.write(text);
  return gate.verdict === "pass" ? ExitCode.ok : ExitCode.checkFailed;
}

export function renderGateJson(result: RunResult, gate: CheckResult, phaseId: string): string {
  return JSON.stringify(
    {
      format: GATE_RESULT_FORMAT,
      tool: result.tool,
      generatedAt: result.generatedAt,
      cluster: result.cluster,
      plan: result.plan,
      phase: phaseId,
      decision: gateDecision(gate),
      gate,
    },
    null,
    2,
  );
}

/** Renders the gate as text: a decision line, the check line, every finding, the remediation and the evidence commands. */
export async function renderGateText(result: RunResult, gate: CheckResult, color: boolean): Promise<string> {
  const { clean, formatCheckLine, formatFinding, textStyle } = await import("../render/text.js");
  const style = textStyle({ color });
  const lines = [
    style.colors.bold(`meshproof gate ${clean(gate.id.replace(/^MP-GATE-/, ""))}: ${gateDecision(gate)}`),
    clean(
      `${result.cluster.name ?? result.cluster.source} · captured ${result.cluster.capturedAt ?? "unknown"}${result.plan ? ` · plan ${result.plan.name}` : ""}`,
    ),
    "",
    formatCheckLine(style, gate),
  ];
  for (const finding of gate.findings) lines.push(...formatFinding(style, finding, "    "));
  if (gate.remediation) lines.push("", `remediation: ${clean(gate.remediation)}`);
  for (const evidence of gate.evidence) {
    lines.push("", style.colors.dim(`$ ${clean(evidence.command)}`));
    for (const line of evidence.output.split("\n")) lines.push(`  ${clean(line)}`);
  }
  return `${lines.join("\n")}\n`;
}
