import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gateChecksFor } from "../../src/checks/gates.js";
import { mtlsChecks } from "../../src/checks/mtls.js";
import type { CheckResult } from "../../src/checks/types.js";
import type { PrometheusEvidence } from "../../src/collect/types.js";
import { runVerification } from "../../src/run/run.js";
import { collectTelemetry } from "../../src/telemetry/queries.js";
import {
  deploymentWithPods,
  meshConfigMap,
  namespace,
  peerAuthentication,
  plan,
  service,
  stateOf,
} from "../support/builders.js";

/**
 * These tests backfill Istio series into a real Prometheus with promtool and query it over HTTP.
 * They need the `prometheus` package (Debian: /usr/bin/prometheus and /usr/bin/promtool).
 */
function missingBinaries(): string | undefined {
  for (const binary of ["prometheus", "promtool"]) {
    const probe = spawnSync(binary, ["--version"], { encoding: "utf8" });
    if (probe.error) return `${binary} is not installed (apt-get install prometheus; .ci/run installs it in CI)`;
  }
  return undefined;
}

const SKIP = missingBinaries();

interface Series {
  destination: string;
  source: string;
  policy: "mutual_tls" | "none";
  /** Counter increase per minute. */
  rate: number;
}

/**
 * OpenMetrics text of istio_requests_total counters with a sample every minute over the last two
 * hours, ending a minute ago. promtool cuts blocks on two-hour boundaries and each block ends at
 * its last sample, so every block is older than the empty head of a freshly started Prometheus.
 */
function openMetrics(series: Series[], now: number): string {
  const lines = ["# HELP istio_requests Requests reported by Istio sidecars.", "# TYPE istio_requests counter"];
  const start = Math.floor(now / 1000) - 2 * 3600;
  for (const item of series) {
    const [destinationNamespace, destinationWorkload] = item.destination.split("/");
    const [sourceNamespace, sourceWorkload] = item.source.split("/");
    const labels = [
      'reporter="destination"',
      `destination_workload_namespace="${destinationNamespace}"`,
      `destination_workload="${destinationWorkload}"`,
      `source_workload_namespace="${sourceNamespace}"`,
      `source_workload="${sourceWorkload}"`,
      `connection_security_policy="${item.policy}"`,
    ].join(",");
    for (let minute = 0; minute < 119; minute++) {
      lines.push(`istio_requests_total{${labels}} ${minute * item.rate} ${start + minute * 60}`);
    }
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`prometheus was not ready within 30 s:\n${log()}`);
}

/** Starts Prometheus on 127.0.0.1 with the series backfilled (none: an empty database), runs `body`, then stops it. */
async function withPrometheus<T>(series: Series[], body: (url: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "meshproof-prometheus-"));
  const dataDir = join(dir, "data");
  let child: ChildProcess | undefined;
  try {
    if (series.length > 0) {
      const input = join(dir, "istio.om.txt");
      await writeFile(input, openMetrics(series, Date.now() - 60_000));
      const created = spawnSync("promtool", ["tsdb", "create-blocks-from", "openmetrics", input, dataDir], {
        encoding: "utf8",
      });
      assert.equal(created.status, 0, `promtool failed: ${created.stderr}${created.stdout}`);
    }
    const config = join(dir, "prometheus.yml");
    await writeFile(config, "global:\n  scrape_interval: 1h\nscrape_configs: []\n");
    const port = await freePort();
    let output = "";
    child = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--storage.tsdb.retention.time=30d",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (chunk) => (output += chunk));
    child.stderr?.on("data", (chunk) => (output += chunk));
    const url = `http://127.0.0.1:${port}`;
    await waitReady(url, child, () => output);
    return await body(url);
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

const strictPlan = plan({
  phases: { current: { id: "apps", mtls: "PERMISSIVE" }, next: [{ id: "strict", type: "strict" }] },
});
const cluster = [
  namespace("sre", { "istio-injection": "enabled" }),
  meshConfigMap("trustDomain: insignia.tech\n"),
  peerAuthentication("sre", "default", { mtls: { mode: "PERMISSIVE" } }),
  ...deploymentWithPods({ namespace: "sre", name: "kernel", sidecar: "classic", pods: [{ appPorts: [8080] }] }),
  ...deploymentWithPods({ namespace: "sre", name: "ai", sidecar: "classic", pods: [{ appPorts: [8080] }] }),
  service("sre", "kernel", { app: "kernel" }, [{ port: 80, targetPort: 8080, name: "http" }]),
  service("sre", "ai", { app: "ai" }, [{ port: 80, targetPort: 8080, name: "http" }]),
];

function verify(evidence: PrometheusEvidence[]): { gate: CheckResult; callers: CheckResult } {
  const { result } = runVerification({
    state: stateOf(cluster, { evidence }),
    plan: strictPlan,
    checks: [...mtlsChecks, ...gateChecksFor(strictPlan)],
  });
  const gate = result.checks.find((check) => check.id === "MP-GATE-strict");
  const callers = result.checks.find((check) => check.id === "MP-MTLS-03");
  assert.ok(gate, "MP-GATE-strict did not run");
  assert.ok(callers, "MP-MTLS-03 did not run");
  return { gate, callers };
}

describe("telemetry from a real Prometheus", { skip: SKIP }, () => {
  it("gives GO for mTLS-only traffic", async () => {
    const evidence = await withPrometheus(
      [{ destination: "sre/kernel", source: "sre/ai", policy: "mutual_tls", rate: 10 }],
      (url) => collectTelemetry(url, "3h"),
    );
    const requests = evidence.find((item) => item.purpose === "requests");

    assert.deepEqual(
      evidence.map((item) => item.error),
      [undefined, undefined, undefined],
    );
    assert.equal(requests?.samples.length, 1);
    assert.equal(requests?.samples[0]?.labels.connection_security_policy, "mutual_tls");
    assert.equal(requests?.samples[0]?.labels.destination_workload, "kernel");
    assert.ok((requests?.samples[0]?.value ?? 0) > 1000, `increase was ${requests?.samples[0]?.value}`);

    const { gate, callers } = verify(evidence);
    assert.equal(callers.verdict, "pass", callers.summary);
    assert.equal(gate.verdict, "pass", gate.summary);
    assert.match(gate.summary, /^GO/);
  });

  it("gives NO-GO naming the destination of plaintext from an unknown source", async () => {
    const evidence = await withPrometheus(
      [
        { destination: "sre/kernel", source: "sre/ai", policy: "mutual_tls", rate: 10 },
        { destination: "sre/kernel", source: "unknown/unknown", policy: "none", rate: 3 },
      ],
      (url) => collectTelemetry(url, "3h"),
    );
    const { gate } = verify(evidence);
    const blocking = gate.findings.filter((finding) => finding.verdict === "fail");

    assert.equal(gate.verdict, "fail");
    assert.deepEqual(
      blocking.map((finding) => finding.subject),
      ["Deployment sre/kernel"],
    );
    assert.match(blocking[0]!.message, /^a caller without a sidecar \(source_workload="unknown"/);
    assert.match(
      blocking[0]!.message,
      /connection_security_policy="none",source_workload="unknown"\} rose by \d+ in 3h/,
    );
  });

  it("gives unknown when there are no Istio series", async () => {
    const evidence = await withPrometheus([], (url) => collectTelemetry(url, "3h"));
    assert.deepEqual(
      evidence.map((item) => item.samples.length),
      [0, 0, 0],
    );

    const { gate, callers } = verify(evidence);
    assert.equal(callers.verdict, "unknown");
    assert.equal(gate.verdict, "unknown");
    assert.match(gate.summary, /^UNDECIDED \(not GO\): no Istio series in 3h/);
  });
});
