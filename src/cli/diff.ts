import { readFile } from "node:fs/promises";
import { diffResults } from "../diff/diff.js";
import { renderDiffMarkdown, renderDiffText } from "../diff/render.js";
import { ExitCode, UserError } from "../errors.js";
import type { RolloutPlan } from "../plan/schema.js";
import { RUN_RESULT_FORMAT, type RunResult } from "../run/result.js";
import { runVerification } from "../run/run.js";

/**
 * Loads one side of a comparison: a JSON run result as `verify --format json` writes it, or any
 * snapshot, which is verified here with the same plan.
 */
export async function loadComparable(
  path: string,
  plan: RolloutPlan | undefined,
  planFile: string | undefined,
): Promise<RunResult> {
  if (path.endsWith(".json")) {
    let parsed: { format?: unknown } | undefined;
    try {
      parsed = JSON.parse(await readFile(path, "utf8")) as { format?: unknown };
    } catch {
      parsed = undefined;
    }
    if (parsed?.format === RUN_RESULT_FORMAT) return parsed as RunResult;
    if (typeof parsed?.format === "string" && parsed.format.startsWith("meshproof.dev/run-result/")) {
      throw new UserError(
        `${path}: run result format ${parsed.format} is not supported; this meshproof reads ${RUN_RESULT_FORMAT}. Re-run verify to produce it.`,
      );
    }
  }
  const { readSnapshot } = await import("../collect/snapshot/read.js");
  const state = await readSnapshot(path);
  return runVerification({ state, plan, planFile }).result;
}

export interface DiffOptions {
  plan?: string;
  format: "text" | "json" | "markdown";
}

/** Runs `meshproof diff BEFORE AFTER`: exit 1 when anything regressed. */
export async function diffCommand(beforePath: string, afterPath: string, options: DiffOptions): Promise<number> {
  const plan = options.plan ? await (await import("../plan/load.js")).loadPlan(options.plan) : undefined;
  const before = await loadComparable(beforePath, plan, options.plan);
  const after = await loadComparable(afterPath, plan, options.plan);
  const report = diffResults(before, after);
  const output =
    options.format === "json"
      ? `${JSON.stringify(report, null, 2)}\n`
      : options.format === "markdown"
        ? renderDiffMarkdown(report)
        : renderDiffText(report);
  process.stdout.write(output);
  return report.regressions.length > 0 ? ExitCode.checkFailed : ExitCode.ok;
}
