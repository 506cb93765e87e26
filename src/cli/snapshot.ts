import { ExitCode, UserError } from "../errors.js";
import { writeFailure } from "./output.js";
import { collectState, loadPlanOption, type SourceOptions } from "./source.js";

/** Runs `meshproof snapshot`: collects from a live cluster and writes the gzipped snapshot. */
export async function snapshotCommand(options: SourceOptions & { output: string }): Promise<number> {
  if (options.snapshot) {
    throw new UserError(
      "meshproof snapshot reads a live cluster: use --context, --kubeconfig or --in-cluster instead of --snapshot.",
    );
  }
  const plan = await loadPlanOption(options);
  const state = await collectState(options, plan);
  const { writeSnapshot } = await import("../collect/snapshot-writer.js");
  try {
    await writeSnapshot(state, options.output);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw writeFailure(options.output, "--output", error);
  }
  const issues = state.collectionIssues.length;
  process.stderr.write(
    `Snapshot written to ${options.output}: ${state.objects.length} objects, ${state.evidence.length} live evidence items${issues ? `, ${issues} collection issues` : ""}.\n`,
  );
  return ExitCode.ok;
}
