/**
 * `npx tsx bench/live.ts`: counts the API requests of a live `meshproof verify` against the fake
 * API server of the tests, serving a generated cluster (bench/generate.ts) with a fixed latency
 * added to every request. It prints the requests by kind (list pages per resource, exec,
 * port-forward per port), the wall time, and whether each kind took at most one list page per 500
 * objects, then writes the figures to bench/LIVE-RESULTS.md.
 *
 * Options: --sizes 500,2000 (pod counts), --latency 50 (milliseconds added to each request),
 * --output FILE (default bench/LIVE-RESULTS.md).
 */
import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { COLLECTED_KINDS, resourceName } from "../src/collect/kinds.js";
import { collectLive } from "../src/collect/live/collect.js";
import { isMeshedPod, selectCertificateTargets } from "../src/collect/live/envoy-certs.js";
import { redactState } from "../src/collect/redact-objects.js";
import type { Pod } from "../src/model/kube.js";
import { runVerification } from "../src/run/run.js";
import { startEnvoyAdmin, startIstiodDebug } from "../test/support/envoy-admin.js";
import {
  EXAMPLE_TRUST_DOMAIN,
  meshConfigOf,
  mintSpireChain,
  spireExecHandler,
  spireServerOutputs,
} from "../test/support/example-cluster.js";
import { type AuditEntry, FakeApiServer } from "../test/support/fake-apiserver.js";
import { generateCluster, generatedPlan } from "./generate.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The page size collectLive requests by default (`limit`). */
const PAGE_SIZE = 500;
const SEED = 1;

interface KindRequests {
  resource: string;
  objects: number;
  /** List requests with status 200: one per page. */
  pages: number;
  /** Versions tried and not served (404) before the served one. */
  versionMisses: number;
  /** ceil(objects / 500), at least 1. */
  maxPages: number;
}

interface SizeResult {
  pods: number;
  objects: number;
  meshedWorkloads: number;
  wallMs: number;
  requests: number;
  version: number;
  kinds: KindRequests[];
  exec: number;
  /** Port-forward WebSockets per pod port. */
  forwards: Map<number, number>;
  checks: number;
  withinPageBound: boolean;
}

function log(message: string): void {
  process.stderr.write(`bench/live: ${message}\n`);
}

function positiveInteger(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`invalid ${option} value "${text}": give positive whole numbers`);
  return value;
}

async function measureSize(pods: number, latencyMs: number): Promise<SizeResult> {
  const shape = { pods, seed: SEED };
  const objects = generateCluster(shape);
  const plan = generatedPlan(shape);
  const podObjects = objects.filter((object): object is Pod => object.kind === "Pod");
  const meshedPods = podObjects.filter((pod) => pod.status?.phase === "Running" && isMeshedPod(pod));
  const nodes = objects.filter((object) => object.kind === "Node");
  const now = new Date();

  const { ca, svid } = await mintSpireChain(now);
  const { outputs } = await spireServerOutputs({ nodes, pods: podObjects, meshedPods, ca, now, clusterName: "bench" });
  const envoy = await startEnvoyAdmin({
    chainPem: svid.pem + ca.pem,
    root: { type: "spiffe", trustDomains: [{ name: EXAMPLE_TRUST_DOMAIN, bundlePem: ca.pem }] },
  });
  const istiod = await startIstiodDebug(meshConfigOf(objects));
  const fake = await FakeApiServer.start({
    objects,
    servedKinds: COLLECTED_KINDS.filter((kind) => kind.optional).map((kind) => kind.kind),
    exec: spireExecHandler(outputs),
    portForward: (call) => {
      if (call.port === 15000) return { host: "127.0.0.1", port: envoy.port };
      if (call.port === 15014) return { host: "127.0.0.1", port: istiod.port };
      return undefined;
    },
  });
  fake.addFault({ path: /.*/, action: { type: "latency", ms: latencyMs } });
  const kubeconfig = await fake.writeKubeconfig({ context: "bench" });

  let audit: AuditEntry[];
  let wallMs: number;
  let checks: number;
  try {
    const started = performance.now();
    const state = redactState(await collectLive({ kubeconfig, plan }));
    const { result } = runVerification({ state, plan });
    wallMs = Math.round(performance.now() - started);
    checks = result.checks.length;
    if (state.collectionIssues.length > 0) {
      log(
        `  collection issues: ${state.collectionIssues.map((issue) => `${issue.resource} ${issue.reason}`).join(", ")}`,
      );
    }
    audit = [...fake.audit];
  } finally {
    await Promise.all([envoy.close(), istiod.close()]);
    // close() also rejects if the run sent a write, read a Secret or left the exec or port allowlist.
    await fake.close();
  }

  const kinds = COLLECTED_KINDS.map((kind): KindRequests => {
    const lists = audit.filter(
      (entry) => entry.verb === "list" && entry.resource === kind.plural && entry.group === kind.group,
    );
    const count = objects.filter((object) => object.kind === kind.kind).length;
    return {
      resource: resourceName(kind),
      objects: count,
      pages: lists.filter((entry) => entry.status === 200).length,
      versionMisses: lists.filter((entry) => entry.status === 404).length,
      maxPages: Math.max(1, Math.ceil(count / PAGE_SIZE)),
    };
  });
  const forwards = new Map<number, number>();
  for (const entry of audit) {
    if (entry.resource !== "pods/portforward") continue;
    const port = Number(entry.query.ports?.[0]);
    forwards.set(port, (forwards.get(port) ?? 0) + 1);
  }
  return {
    pods,
    objects: objects.length,
    meshedWorkloads: selectCertificateTargets(objects).length,
    wallMs,
    requests: audit.length,
    version: audit.filter((entry) => entry.path === "/version").length,
    kinds,
    exec: audit.filter((entry) => entry.resource === "pods/exec").length,
    forwards,
    checks,
    withinPageBound: kinds.every((kind) => kind.pages <= kind.maxPages),
  };
}

function machine(): string[] {
  let cpuInfo = "";
  try {
    cpuInfo = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuInfo)?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  return [
    `- CPU: ${model.trim()}, ${os.availableParallelism()} cores available to Node`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node: ${process.version} on ${os.type()} ${os.release()}`,
  ];
}

/** Describe how the requests grew from the smallest to the largest size, when more than one was measured. */
function growth(results: SizeResult[], latencyMs: number): string[] {
  const first = results[0];
  const last = results.at(-1);
  if (!first || !last || first === last) return [];
  const pages = (result: SizeResult) => result.kinds.reduce((sum, kind) => sum + kind.pages, 0);
  const factor = (last.pods / first.pods).toFixed(1);
  return [
    "",
    `From ${first.pods} to ${last.pods} pods (×${factor}), list pages went from ${pages(first)} to ${pages(last)},`,
    `exec stayed at ${first.exec} and ${last.exec}, istiod forwards at ${first.forwards.get(15014) ?? 0} and ${last.forwards.get(15014) ?? 0}, and Envoy admin`,
    `forwards went from ${first.forwards.get(15000) ?? 0} to ${last.forwards.get(15000) ?? 0} (${first.meshedWorkloads} and ${last.meshedWorkloads} meshed workloads). An estimate of their share`,
    `of the wall time: ${last.forwards.get(15000) ?? 0} forwards × ${latencyMs} ms / 8 in flight ≈ ${(((last.forwards.get(15000) ?? 0) * latencyMs) / 8 / 1000).toFixed(1)} s of the ${(last.wallMs / 1000).toFixed(1)} s at ${last.pods} pods.`,
  ];
}

function render(results: SizeResult[], latencyMs: number): string {
  const lines = [
    "# Live collection: API requests",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx bench/live.ts --sizes ${results.map((result) => result.pods).join(",")} --latency ${latencyMs}\`.`,
    "",
    ...machine(),
    "",
    "What runs: the fake API server of the tests (test/support/fake-apiserver.ts, HTTPS on 127.0.0.1,",
    "deploy/rbac.yaml enforced) serves a cluster from bench/generate.ts (seed 1) and delays every",
    `request, WebSocket upgrades included, by ${latencyMs} ms. collectLive and runVerification then run in the`,
    "same process with their defaults: 500 objects per list page, 8 requests in flight. Stand-ins answer",
    "spire-server exec, Envoy admin and istiod /debug/mesh. The wall time covers collection and checks,",
    "not the server's start. It is one run per size, on a shared machine, so read it as an estimate.",
    "",
    "## Requests by kind",
    "",
    `| | ${results.map((result) => `${result.pods} pods`).join(" | ")} |`,
    `|---|${results.map(() => "---:").join("|")}|`,
    `| objects served | ${results.map((result) => result.objects).join(" | ")} |`,
    `| meshed workloads | ${results.map((result) => result.meshedWorkloads).join(" | ")} |`,
    `| GET /version | ${results.map((result) => result.version).join(" | ")} |`,
    `| list pages, all kinds | ${results.map((result) => result.kinds.reduce((sum, kind) => sum + kind.pages, 0)).join(" | ")} |`,
    `| list 404s (CRD version fallback) | ${results.map((result) => result.kinds.reduce((sum, kind) => sum + kind.versionMisses, 0)).join(" | ")} |`,
    `| exec (spire-server) | ${results.map((result) => result.exec).join(" | ")} |`,
    `| port-forward 15014 (istiod) | ${results.map((result) => result.forwards.get(15014) ?? 0).join(" | ")} |`,
    `| port-forward 15000 (Envoy admin) | ${results.map((result) => result.forwards.get(15000) ?? 0).join(" | ")} |`,
    `| all requests | ${results.map((result) => result.requests).join(" | ")} |`,
    `| wall time | ${results.map((result) => `${(result.wallMs / 1000).toFixed(1)} s`).join(" | ")} |`,
    `| list pages ≤ ceil(objects / 500) for every kind | ${results.map((result) => (result.withinPageBound ? "yes" : "**no**")).join(" | ")} |`,
    "",
    "Envoy admin forwards are per meshed workload by design: the collector reads one pod of each",
    "meshed workload, with one forward whose kept-alive connection carries both",
    "`/config_dump?resource=dynamic_active_secrets` and `/certs`, so they grow with workloads.",
    "Everything else grows with the number of kinds and pages.",
    "Target: a live verify of 2,000 pods with 50 ms per request completes within 10 s.",
    ...growth(results, latencyMs),
    "",
    "## List pages per resource",
    "",
    `| resource | ${results.map((result) => `${result.pods} pods: objects / pages`).join(" | ")} |`,
    `|---|${results.map(() => "---:").join("|")}|`,
  ];
  for (const [index, kind] of (results[0]?.kinds ?? []).entries()) {
    const cells = results.map((result) => {
      const measured = result.kinds[index];
      return measured ? `${measured.objects} / ${measured.pages}` : "";
    });
    lines.push(`| ${kind.resource} | ${cells.join(" | ")} |`);
  }
  lines.push("");
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "500,2000" },
      latency: { type: "string", default: "50" },
      output: { type: "string", default: path.join(repoRoot, "bench", "LIVE-RESULTS.md") },
    },
  });
  const sizes = values.sizes.split(",").map((size) => positiveInteger(size, "--sizes"));
  const latencyMs = positiveInteger(values.latency, "--latency");

  const results: SizeResult[] = [];
  for (const pods of sizes) {
    log(`${pods} pods, ${latencyMs} ms per request`);
    const result = await measureSize(pods, latencyMs);
    results.push(result);
    const pages = result.kinds.reduce((sum, kind) => sum + kind.pages, 0);
    const envoy = result.forwards.get(15000) ?? 0;
    log(
      `  ${result.objects} objects, ${result.checks} checks: ${result.requests} requests (${pages} list pages, ${result.exec} exec, ${result.forwards.get(15014) ?? 0} istiod forwards, ${envoy} Envoy forwards for ${result.meshedWorkloads} meshed workloads) in ${result.wallMs} ms; list pages within one per 500 objects: ${result.withinPageBound ? "yes" : "no"}`,
    );
    for (const kind of result.kinds.filter(
      (candidate) => candidate.pages > 1 || candidate.pages > candidate.maxPages,
    )) {
      log(`    ${kind.resource}: ${kind.objects} objects in ${kind.pages} pages (bound ${kind.maxPages})`);
    }
  }

  const markdown = render(results, latencyMs);
  process.stdout.write(markdown);
  await writeFile(values.output, markdown);
  log(`results written to ${path.relative(repoRoot, values.output)}`);
  if (results.some((result) => !result.withinPageBound)) process.exitCode = 1;
}

await main();
