import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Verdict } from "../checks/types.js";
import { ExitCode } from "../errors.js";
import type { RolloutPlan } from "../plan/schema.js";
import type { RunResult } from "../run/result.js";
import { runVerification } from "../run/run.js";
import { writeFailure, writeOutputFile } from "./output.js";
import { collectState, loadPlanOption, type SourceOptions } from "./source.js";

export interface VerifyOptions extends SourceOptions {
  format: "text" | "short" | "json" | "markdown" | "junit";
  html?: string;
  output?: string;
  failOn: "fail" | "warn";
  waivers?: string;
  baseline?: string;
  prometheus?: string;
  prometheusWindow: string;
  verbose?: true;
  color: boolean;
}

/** Runs `meshproof verify` and returns the exit code. */
export async function verifyCommand(options: VerifyOptions): Promise<number> {
  const plan = await loadPlanOption(options);
  const result = await verifiedResult(options, plan);
  if (options.baseline) {
    const { loadComparable } = await import("./diff.js");
    const { diffResults, outagesAgainst } = await import("../diff/diff.js");
    const baseline = await loadComparable(options.baseline, plan, options.plan, "--baseline");
    const outages = outagesAgainst(baseline, result, diffResults(baseline, result));
    result.banner.outages = outages.length;
    result.banner.outageSubjects = outages;
    result.banner.outagesBasis = "baseline";
    result.banner.baseline = options.baseline;
  }

  const { renderReport } = await import("../render/index.js");
  if (options.format === "json") {
    const { renderJsonChunks } = await import("../render/json.js");
    await writeChunks(renderJsonChunks(result), options.output);
  } else {
    const color =
      options.color && options.output === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR;
    const width = options.output === undefined && process.stdout.isTTY === true ? process.stdout.columns : undefined;
    const report = await renderReport(result, options.format, { color, verbose: options.verbose === true, width });
    if (options.output) await writeOutputFile(options.output, report, "--output");
    else process.stdout.write(report.endsWith("\n") ? report : `${report}\n`);
  }

  if (options.html) {
    await writeOutputFile(options.html, await renderReport(result, "html", {}), "--html");
    process.stderr.write(`HTML report written to ${options.html}\n`);
  }
  return exitCodeOf(result, options.failOn);
}

/** Writes text pieces to a file, or to standard output, waiting whenever the destination is full. */
async function writeChunks(chunks: Iterable<string>, file: string | undefined): Promise<void> {
  if (file !== undefined) {
    try {
      await pipeline(Readable.from(chunks), createWriteStream(file));
    } catch (error) {
      throw writeFailure(file, "--output", error);
    }
    return;
  }
  for (const chunk of chunks) {
    if (!process.stdout.write(chunk)) await once(process.stdout, "drain");
  }
}

/**
 * Collects the cluster state and runs the checks. It is a function of its own because an async
 * function keeps its locals until it returns: once this one returns, the state and the model, most
 * of a run's memory, can be freed before the report is rendered.
 */
async function verifiedResult(options: VerifyOptions, plan: RolloutPlan | undefined): Promise<RunResult> {
  const state = await collectState(options, plan);
  const waivers = options.waivers ? await (await import("../run/waivers.js")).loadWaivers(options.waivers) : undefined;
  return runVerification({ state, plan, planFile: options.plan, waivers }).result;
}

/**
 * 1 when any check has a verdict at or above `failOn` (fail, or warn and fail), else 0. Phase gates
 * do not count: a NO-GO for the next phase means the next step is not safe yet, not that anything is broken
 * now, and `meshproof gate` gives pipelines an exit code per phase.
 */
export function exitCodeOf(result: RunResult, failOn: "fail" | "warn"): number {
  const failing: Verdict[] = failOn === "warn" ? ["fail", "warn"] : ["fail"];
  const counted = result.checks.filter((check) => check.category !== "phase-gates");
  return counted.some((check) => failing.includes(check.verdict)) ? ExitCode.checkFailed : ExitCode.ok;
}
