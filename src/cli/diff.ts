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
  role = "input",
): Promise<RunResult> {
  if (path.endsWith(".json")) {
    let parsed: { format?: unknown } | undefined;
    try {
      parsed = JSON.parse(await readFile(path, "utf8")) as { format?: unknown };
    } catch {
      parsed = undefined;
    }
    const format = typeof parsed?.format === "string" ? parsed.format : undefined;
    if (format === RUN_RESULT_FORMAT) return parsed as RunResult;
    if (format?.startsWith("meshproof.dev/run-result/")) {
      throw new UserError(
        `${role} ${path}: run result format ${format} is not supported; this meshproof reads ${RUN_RESULT_FORMAT}. Run verify --format json again to produce it.`,
      );
    }
    if (format?.startsWith("meshproof.dev/") && !format.startsWith("meshproof.dev/snapshot/")) {
      throw new UserError(
        `${role} ${path} is a ${format} document; pass a snapshot (file or folder) or the JSON that verify --format json writes.`,
      );
    }
  }
  const { readSnapshot } = await import("../collect/snapshot/read.js");
  let state: Awaited<ReturnType<typeof readSnapshot>>;
  try {
    state = await readSnapshot(path);
  } catch (error) {
    if (error instanceof UserError && role !== "input")
      throw new UserError(`${role}: ${error.message}`, error.exitCode);
    throw error;
  }
  return runVerification({ state, plan, planFile }).result;
}

export interface DiffOptions {
  plan?: string;
  format: "text" | "json" | "markdown";
}

/** Runs `meshproof diff BEFORE AFTER`: exit 1 when anything regressed. */
export async function diffCommand(beforePath: string, afterPath: string, options: DiffOptions): Promise<number> {
  const plan = options.plan ? await (await import("../plan/load.js")).loadPlan(options.plan) : undefined;
  const before = await loadComparable(beforePath, plan, options.plan, "before");
  const after = await loadComparable(afterPath, plan, options.plan, "after");
  if (before.plan?.name !== after.plan?.name) {
    const name = (result: RunResult) => (result.plan ? `plan ${result.plan.name}` : "no plan");
    process.stderr.write(
      `meshproof: warning: ${beforePath} was verified with ${name(before)} and ${afterPath} with ${name(after)}; checks that need a plan differ for that reason alone. Pass --plan to verify snapshot inputs with the same plan.\n`,
    );
  }
  const report = diffResults(before, after, { before: beforePath, after: afterPath });
  const output =
    options.format === "json"
      ? `${JSON.stringify(report, null, 2)}\n`
      : options.format === "markdown"
        ? renderDiffMarkdown(report)
        : renderDiffText(report);
  process.stdout.write(output);
  return report.regressions.length > 0 ? ExitCode.checkFailed : ExitCode.ok;
}
