/**
 * `npm run bench`: times `meshproof verify` on generated snapshots of 1k, 10k and 50k pods against
 * a process that only reads and parses the same file, and writes the figures with the acceptance
 * targets to bench/RESULTS.md. Each figure is the median of whole-process runs.
 *
 * Options: --sizes 1000,10000 (pod counts), --runs N (default 3), --help-runs N (default 10),
 * --no-build (use dist/ as it is), --cpu-prof (also profile one verify run per size into
 * bench/.work/profiles), --output FILE (default bench/RESULTS.md).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { dump } from "js-yaml";
import { BENCH_SIZES, type ClusterShape, generatedPlanDocument, writeSnapshotFile } from "./generate.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const workDir = path.join(repoRoot, "bench", ".work");
const cli = path.join(repoRoot, "bin", "meshproof.js");
const parseOnly = path.join(repoRoot, "bench", "parse-only.js");
const maxRssHook = path.join(repoRoot, "bench", "max-rss.js");
const TIME_BINARY = "/usr/bin/time";

/** Bumped whenever the generator's output changes, so stale files under bench/.work are rebuilt. */
const GENERATOR_REVISION = 2;
const SEED = 1;

interface Measurement {
  ms: number;
  /** Peak resident set size in KiB. */
  maxRssKiB: number;
  /** User plus system CPU time. Other load on the machine changes it less than the wall time. */
  cpuMs: number;
}

interface SizeResult {
  pods: number;
  objects: number;
  fileBytes: number;
  parseOnly: Measurement;
  verify: Measurement;
  verifyWithPlan: Measurement;
}

interface Target {
  name: string;
  measured: string;
  pass: boolean | undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: BENCH_SIZES.join(",") },
      runs: { type: "string", default: "3" },
      "help-runs": { type: "string", default: "10" },
      "no-build": { type: "boolean", default: false },
      "cpu-prof": { type: "boolean", default: false },
      output: { type: "string", default: path.join(repoRoot, "bench", "RESULTS.md") },
    },
  });
  const sizes = values.sizes.split(",").map((size) => positiveInteger(size, "--sizes"));
  const runs = positiveInteger(values.runs, "--runs");
  const helpRuns = positiveInteger(values["help-runs"], "--help-runs");

  if (!values["no-build"]) build();
  await mkdir(workDir, { recursive: true });
  const memoryProbe = existsSync(TIME_BINARY) ? '/usr/bin/time -f "%M %U %S"' : "process.resourceUsage() at exit";
  const loadBefore = loadAverage();
  log(`peak memory from ${memoryProbe}`);

  const results: SizeResult[] = [];
  for (const pods of sizes) {
    const { file, planFile, objects } = await ensureSnapshot({ pods, seed: SEED });
    const fileBytes = (await stat(file)).size;
    log(`${pods} pods: ${file} (${formatMiB(fileBytes)}, ${objects} objects)`);

    const parseRuns: Measurement[] = [];
    const verifyRuns: Measurement[] = [];
    const planRuns: Measurement[] = [];
    // Interleaved, so a slow spell of the machine touches every command alike.
    for (let run = 0; run < runs; run++) {
      parseRuns.push(await measure([parseOnly, file]));
      verifyRuns.push(await measure([cli, "verify", "--snapshot", file, "--format", "json"]));
      planRuns.push(await measure([cli, "verify", "--snapshot", file, "--plan", planFile, "--format", "json"]));
    }
    const result: SizeResult = {
      pods,
      objects,
      fileBytes,
      parseOnly: median(parseRuns),
      verify: median(verifyRuns),
      verifyWithPlan: median(planRuns),
    };
    results.push(result);
    log(
      `  parse-only ${result.parseOnly.ms} ms ${formatMiB(result.parseOnly.maxRssKiB * 1024)}; verify ${result.verify.ms} ms ${formatMiB(result.verify.maxRssKiB * 1024)}; with plan ${result.verifyWithPlan.ms} ms`,
    );

    if (values["cpu-prof"]) {
      const profileDir = path.join(workDir, "profiles");
      await mkdir(profileDir, { recursive: true });
      await measure([
        "--cpu-prof",
        "--cpu-prof-dir",
        profileDir,
        "--cpu-prof-name",
        `verify-${pods}.cpuprofile`,
        cli,
        "verify",
        "--snapshot",
        file,
        "--plan",
        planFile,
        "--format",
        "json",
      ]);
      log(`  profile written to ${path.join(profileDir, `verify-${pods}.cpuprofile`)}`);
    }
  }

  const helpTimes: number[] = [];
  for (let run = 0; run < helpRuns; run++) helpTimes.push((await measure([cli, "--help"])).ms);
  const helpMs = medianOf(helpTimes);
  log(`--help: median ${helpMs} ms of ${helpRuns}`);

  const markdown = renderResults(results, { helpMs, helpRuns, runs, memoryProbe, load: [loadBefore, loadAverage()] });
  await writeFile(values.output, markdown);
  log(`results written to ${path.relative(repoRoot, values.output)}`);
  const failed = evaluateTargets(results, helpMs).filter((target) => target.pass === false);
  if (failed.length > 0) {
    log(`targets missed: ${failed.map((target) => target.name).join("; ")}`);
    process.exitCode = 1;
  }
}

function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`invalid ${option} value "${text}": give positive whole numbers`);
  return value;
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function build(): void {
  log("building dist/ with tsc -p tsconfig.build.json");
  const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  const built = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: repoRoot, stdio: "inherit" });
  if (built.status !== 0) throw new Error(`the build failed with exit code ${built.status}; fix it or pass --no-build`);
}

/** Writes the snapshot and plan of one size unless files from the same generator revision exist. */
async function ensureSnapshot(
  shape: Required<ClusterShape>,
): Promise<{ file: string; planFile: string; objects: number }> {
  const label = shape.pods % 1000 === 0 ? `${shape.pods / 1000}k` : String(shape.pods);
  const file = path.join(workDir, `cluster-${label}.json`);
  const planFile = path.join(workDir, `plan-${label}.yaml`);
  const metaFile = path.join(workDir, `cluster-${label}.meta.json`);
  const wanted = { revision: GENERATOR_REVISION, ...shape };

  const meta = existsSync(metaFile)
    ? (JSON.parse(readFileSync(metaFile, "utf8")) as typeof wanted & { objects: number })
    : undefined;
  if (
    meta &&
    existsSync(file) &&
    existsSync(planFile) &&
    meta.revision === wanted.revision &&
    meta.pods === wanted.pods &&
    meta.seed === wanted.seed
  ) {
    return { file, planFile, objects: meta.objects };
  }

  log(`generating ${shape.pods} pods into ${path.relative(repoRoot, file)}`);
  await rm(file, { force: true });
  const objects = await writeSnapshotFile(shape, file);
  await writeFile(planFile, dump(generatedPlanDocument(shape), { lineWidth: 160 }));
  await writeFile(metaFile, `${JSON.stringify({ ...wanted, objects })}\n`);
  return { file, planFile, objects };
}

/**
 * Runs `node ARGS` as a whole process with standard output sent to /dev/null and returns its wall
 * time and peak RSS. Exit codes 0 and 1 (checks failed) are normal for verify. Any other code
 * stops the benchmark with the process's standard error.
 */
async function measure(nodeArgs: string[]): Promise<Measurement> {
  const rssFile = path.join(workDir, `rss-${process.pid}.txt`);
  await rm(rssFile, { force: true });
  const useTime = existsSync(TIME_BINARY);
  const command = useTime ? TIME_BINARY : process.execPath;
  const args = useTime
    ? ["-f", "%M %U %S", "-o", rssFile, process.execPath, ...nodeArgs]
    : ["--import", maxRssHook, ...nodeArgs];

  const devNull = await open("/dev/null", "w");
  try {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: repoRoot,
      stdio: ["ignore", devNull.fd, "pipe"],
      env: { ...process.env, NO_COLOR: "1", MESHPROOF_BENCH_RSS_FILE: rssFile },
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (code !== 0 && code !== 1) {
      throw new Error(`node ${nodeArgs.join(" ")} exited with ${code}:\n${stderr}`);
    }
    // /usr/bin/time puts a "Command exited with non-zero status" line before its figures.
    const figures = ((await readFile(rssFile, "utf8")).trim().split("\n").pop() ?? "").split(" ").map(Number);
    const [maxRssKiB = Number.NaN, userSeconds = Number.NaN, systemSeconds = Number.NaN] = figures;
    return { ms: Math.round(ms), maxRssKiB, cpuMs: Math.round((userSeconds + systemSeconds) * 1000) };
  } finally {
    await devNull.close();
  }
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : Math.round(((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2);
}

/** Returns the median time and the median peak memory, each taken on its own. */
function median(measurements: Measurement[]): Measurement {
  return {
    ms: medianOf(measurements.map((entry) => entry.ms)),
    maxRssKiB: medianOf(measurements.map((entry) => entry.maxRssKiB)),
    cpuMs: medianOf(measurements.map((entry) => entry.cpuMs)),
  };
}

function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function evaluateTargets(results: SizeResult[], helpMs: number): Target[] {
  const at = (pods: number) => results.find((result) => result.pods === pods);
  const largest = at(50_000);
  const middle = at(10_000);
  const notMeasured = (name: string): Target => ({ name, measured: "not measured in this run", pass: undefined });
  const targets: Target[] = [];

  const timeName = "50k pods: verify time ≤ 2× parse-only time";
  if (largest) {
    const ratio = largest.verify.ms / largest.parseOnly.ms;
    targets.push({
      name: timeName,
      measured: `${ratio.toFixed(2)}× (${largest.verify.ms} ms / ${largest.parseOnly.ms} ms)`,
      pass: ratio <= 2,
    });
  } else targets.push(notMeasured(timeName));

  const memoryName = "50k pods: verify peak RSS ≤ 3× input file size";
  if (largest) {
    const ratio = (largest.verify.maxRssKiB * 1024) / largest.fileBytes;
    targets.push({
      name: memoryName,
      measured: `${ratio.toFixed(2)}× (${formatMiB(largest.verify.maxRssKiB * 1024)} / ${formatMiB(largest.fileBytes)})`,
      pass: ratio <= 3,
    });
  } else targets.push(notMeasured(memoryName));

  const growthName = "verify time at 50k pods ≤ 6× the time at 10k pods";
  if (largest && middle) {
    const ratio = largest.verify.ms / middle.verify.ms;
    targets.push({
      name: growthName,
      measured: `${ratio.toFixed(2)}× (${largest.verify.ms} ms / ${middle.verify.ms} ms)`,
      pass: ratio <= 6,
    });
  } else targets.push(notMeasured(growthName));

  targets.push({ name: "`meshproof --help` median ≤ 150 ms", measured: `${helpMs} ms`, pass: helpMs <= 150 });
  return targets;
}

/** Returns the commit the benchmark ran on, marked when the work tree had changes. */
function commitDescription(): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" });
  if (head.status !== 0) return "unknown (not a git work tree)";
  const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  return `${head.stdout.trim()}${status.stdout.trim() ? " with uncommitted changes" : ""}`;
}

function machineDescription(): string[] {
  const cpuInfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuInfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  return [
    `- CPU: ${model.trim()}, ${os.availableParallelism()} cores available to Node`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node: ${process.version} on ${os.type()} ${os.release()}`,
    `- Commit: ${commitDescription()}`,
  ];
}

/** The 1-minute load average, which tells how much other work shared the machine. */
function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}

interface RunFacts {
  helpMs: number;
  helpRuns: number;
  runs: number;
  memoryProbe: string;
  /** 1-minute load average before and after the measurements. */
  load: [number, number];
}

function renderResults(results: SizeResult[], facts: RunFacts): string {
  const { helpMs, helpRuns, runs, memoryProbe } = facts;
  const rows = results.map((result) => {
    const ratio = result.verify.ms / result.parseOnly.ms;
    const memoryRatio = (result.verify.maxRssKiB * 1024) / result.fileBytes;
    const cells = [
      result.pods.toLocaleString("en-US"),
      result.objects.toLocaleString("en-US"),
      formatMiB(result.fileBytes),
      String(result.parseOnly.ms),
      String(result.verify.ms),
      ratio.toFixed(2),
      `${result.parseOnly.cpuMs} / ${result.verify.cpuMs}`,
      formatMiB(result.parseOnly.maxRssKiB * 1024),
      formatMiB(result.verify.maxRssKiB * 1024),
      memoryRatio.toFixed(2),
      String(result.verifyWithPlan.ms),
      formatMiB(result.verifyWithPlan.maxRssKiB * 1024),
    ];
    return `| ${cells.join(" | ")} |`;
  });
  const targets = evaluateTargets(results, helpMs).map(
    (target) =>
      `| ${target.name} | ${target.measured} | ${target.pass === undefined ? "not measured" : target.pass ? "pass" : "FAIL"} |`,
  );
  return [
    "# Benchmark results",
    "",
    `Measured by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString().slice(0, 10)}. Figures change with the machine and its load; rerun the benchmark before comparing with them.`,
    "",
    "## Machine",
    "",
    ...machineDescription(),
    `- Load average (1 minute) before and after the measurements: ${facts.load[0]} and ${facts.load[1]}. Other work on the machine slows the wall times; the CPU times change less.`,
    "",
    "## Method",
    "",
    "- Input: one `kind: List` JSON file per size, the shape `kubectl get -A -o json` prints, written by bench/generate.ts (seed 1) with one object per line and no indentation. Each cluster has Istio 1.23 and SPIRE objects, 50 pods per node, about 120 app pods per namespace, and the DaemonSet, Deployment, ReplicaSet, StatefulSet, CronJob, Service, ServiceAccount, ConfigMap and policy objects that go with them.",
    "- verify: `node bin/meshproof.js verify --snapshot FILE --format json`, standard output to /dev/null. With plan: the same with `--plan` and the generated plan, which runs the checks that need one and the phase gates. The targets apply to the run without a plan; the run with a plan is shown for information.",
    "- parse-only: `node bench/parse-only.js FILE`, which reads the whole file as UTF-8 and runs one `JSON.parse`: the least any reader of the file must do.",
    `- Time: wall time of the whole process, median of ${runs} runs; the commands are interleaved. CPU time: user plus system time of the same runs, median. Peak memory: maximum resident set size from ${memoryProbe}, median of the same runs.`,
    `- \`meshproof --help\`: median wall time of ${helpRuns} runs of \`node bin/meshproof.js --help\`.`,
    "",
    "## Figures",
    "",
    "| pods | objects | file size | parse-only ms | verify ms | verify / parse-only | CPU ms, parse-only / verify | parse-only peak RSS | verify peak RSS | verify RSS / file size | verify with plan ms | with plan peak RSS |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `\`meshproof --help\`: ${helpMs} ms (median of ${helpRuns}).`,
    "",
    "## Acceptance targets",
    "",
    "| target | measured | result |",
    "| --- | --- | --- |",
    ...targets,
    "",
  ].join("\n");
}

await main();
