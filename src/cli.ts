#!/usr/bin/env node
import { Command, CommanderError, Option } from "commander";
import type { DiffOptions } from "./cli/diff.js";
import type { GateOptions } from "./cli/gate.js";
import type { SourceOptions } from "./cli/source.js";
import type { VerifyOptions } from "./cli/verify.js";
import { ExitCode, UserError } from "./errors.js";
import { TOOL_VERSION } from "./version.js";

// Command modules load on demand, so `--help` and snapshot runs never load the Kubernetes client
// or the HTML renderer.

const FORMATS = ["text", "short", "json", "markdown", "junit"] as const;

const PLAN_HELP = "rollout plan (YAML, kind RolloutPlan); without it, checks that compare with intentions are skipped";

function sourceOptions(command: Command, { snapshot = true, planHelp = PLAN_HELP } = {}): Command {
  if (snapshot) {
    command.option(
      "--snapshot <path>",
      "read cluster state from a snapshot: a file or folder of kubectl YAML/JSON, a cluster-info dump, or a meshproof snapshot (.json.gz)",
    );
  }
  return command
    .option("--kubeconfig <file>", "kubeconfig file for a live run (default: $KUBECONFIG, then ~/.kube/config)")
    .option("--context <name>", "kubeconfig context for a live run (default: the current context)")
    .option("--in-cluster", "use the pod's service account for a live run")
    .option("--request-timeout <seconds>", "timeout of each API request in a live run, in seconds", parsePositive, 15)
    .option("--plan <file>", planHelp);
}

function parsePositive(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new UserError(`invalid number "${value}": give a positive number of seconds.`);
  return parsed;
}

export function buildProgram(): Command {
  const program = new Command()
    .name("meshproof")
    .description(
      "Prove, check by check and with evidence, that an Istio rollout on SPIFFE/SPIRE identity behaves as intended.",
    )
    .version(TOOL_VERSION)
    .showHelpAfterError("(run with --help for usage)");

  sourceOptions(
    program.command("verify").description("run every check against a live cluster or a snapshot and print the report"),
  )
    .addOption(
      new Option("--format <format>", "report format on standard output (short: only what does not pass)")
        .choices([...FORMATS])
        .default("text"),
    )
    .option("--html <file>", "also write the self-contained HTML report to this file")
    .option("--output <file>", "write the report to this file instead of standard output")
    .addOption(
      new Option("--fail-on <verdict>", "lowest verdict that makes the exit code 1")
        .choices(["fail", "warn"])
        .default("fail"),
    )
    .option("--waivers <file>", "waiver file: findings it matches become waived")
    .option("--baseline <file>", "pre-window snapshot or JSON result; outages are counted as regressions against it")
    .option("--prometheus <url>", "Prometheus base URL for plaintext-caller telemetry")
    .option("--prometheus-window <duration>", "telemetry window; must cover the slowest caller", "24h")
    .option("--verbose", "print evidence for every check in the text report")
    .option("--no-color", "never colour the terminal report")
    .action(async (options: VerifyOptions) => {
      const { verifyCommand } = await import("./cli/verify.js");
      process.exitCode = await verifyCommand(options);
    });

  sourceOptions(
    program.command("snapshot").description("save everything a live run sees, for later re-runs and diffs"),
    {
      snapshot: false,
      planHelp: "rollout plan (YAML, kind RolloutPlan): names the probes to send and where SPIRE and istiod run",
    },
  )
    .requiredOption("-o, --output <file>", "snapshot file to write (gzipped JSON)")
    .option("--prometheus <url>", "also record Istio telemetry from this Prometheus")
    .option("--prometheus-window <duration>", "telemetry window; must cover the slowest caller", "24h")
    .action(async (options: SourceOptions & { output: string }) => {
      const { snapshotCommand } = await import("./cli/snapshot.js");
      process.exitCode = await snapshotCommand(options);
    });

  sourceOptions(
    program
      .command("gate")
      .argument("<phase-id>", "id of a next phase in the plan, e.g. strict")
      .description("print whether a next phase can start: GO, NO-GO or UNDECIDED; exits 0 only on GO"),
  )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .option("--prometheus <url>", "Prometheus base URL for plaintext-caller telemetry")
    .option("--prometheus-window <duration>", "telemetry window; must cover the slowest caller", "24h")
    .option("--output <file>", "write the gate to this file instead of standard output")
    .option("--waivers <file>", "waiver file: waived findings of the checks a gate reads do not block it")
    .option("--no-color", "never colour the output")
    .action(async (phaseId: string, options: GateOptions) => {
      const { gateCommand } = await import("./cli/gate.js");
      const color = options.color === true && process.stdout.isTTY === true && !process.env.NO_COLOR;
      process.exitCode = await gateCommand(phaseId, { ...options, color });
    });

  program
    .command("diff")
    .description("compare two snapshots or JSON results, e.g. before and after a window; exits 1 on a regression")
    .argument("<before>", "snapshot (file or folder) or JSON result from before")
    .argument("<after>", "snapshot (file or folder) or JSON result from after")
    .option("--plan <file>", "rollout plan used to verify snapshot inputs")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json", "markdown"]).default("text"))
    .action(async (before: string, after: string, options: DiffOptions) => {
      const { diffCommand } = await import("./cli/diff.js");
      process.exitCode = await diffCommand(before, after, options);
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  // A reader that closes early (`meshproof verify | head`) is not an error of meshproof.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  const program = buildProgram();
  program.exitOverride();
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
  }
}

/** Prints an error as one paragraph, with no stack trace for errors the user can fix, and returns the exit code. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed help, the version or the usage error.
    if (
      error.code === "commander.helpDisplayed" ||
      error.code === "commander.version" ||
      error.code === "commander.help"
    ) {
      return ExitCode.ok;
    }
    return ExitCode.invalidInput;
  }
  if (error instanceof UserError) {
    process.stderr.write(`meshproof: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`meshproof: internal error, please report it with the command you ran:\n${message}\n`);
  return ExitCode.internal;
}

await main(process.argv);
