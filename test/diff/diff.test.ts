import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { readSnapshot } from "../../src/collect/snapshot/read.js";
import { writeSnapshot } from "../../src/collect/snapshot-writer.js";
import type { CollectedState, HttpProbeEvidence } from "../../src/collect/types.js";
import { diffResults } from "../../src/diff/diff.js";
import type { Pod } from "../../src/model/kube.js";
import { loadPlan } from "../../src/plan/load.js";
import { runVerification } from "../../src/run/run.js";

const repo = resolve(import.meta.dirname, "../..");
const PLAN = join(repo, "examples/plan.yaml");

function probe(name: string, url: string, expectedStatus: number, status: number): HttpProbeEvidence {
  return {
    type: "http-probe",
    id: `probe:${name}`,
    probe: name,
    method: "GET",
    url,
    expectedStatus,
    status,
    latencyMs: 35,
    headers: {},
    command: `curl -s -o /dev/null -w '%{http_code}' ${url}`,
    output: `HTTP ${status}`,
    at: "2026-06-28T21:40:00Z",
    durationMs: 35,
    attempts: 1,
  };
}

/** Reads the example as a live run would have recorded it, with probe results. */
async function recordedExample(statuses: Record<string, number>): Promise<CollectedState> {
  const plan = await loadPlan(PLAN);
  const state = await readSnapshot(join(repo, "examples/snapshot"));
  state.evidence = plan.spec.probes.map((planned) =>
    probe(planned.name, planned.url, planned.expectedStatus, statuses[planned.name] ?? planned.expectedStatus),
  );
  return state;
}

/** Removes the sidecar from one pod, as if it had been recreated without injection. */
function dropSidecar(state: CollectedState, podName: string): void {
  const pod = state.objects.find((object) => object.kind === "Pod" && object.metadata.name.startsWith(podName)) as Pod;
  assert.ok(pod, `pod ${podName} not found in the example`);
  delete pod.metadata.annotations?.["sidecar.istio.io/status"];
  if (pod.spec) {
    pod.spec.containers = pod.spec.containers?.filter((container) => container.name !== "istio-proxy");
    pod.spec.initContainers = pod.spec.initContainers?.filter(
      (container) => container.name !== "istio-proxy" && container.name !== "istio-init",
    );
  }
  if (pod.status) {
    pod.status.containerStatuses = pod.status.containerStatuses?.filter((status) => status.name !== "istio-proxy");
    pod.status.initContainerStatuses = pod.status.initContainerStatuses?.filter(
      (status) => status.name !== "istio-proxy" && status.name !== "istio-init",
    );
  }
}

describe("meshproof diff", () => {
  it("names a lost sidecar and a failing probe, and exits 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "meshproof-diff-"));
    const before = await recordedExample({});
    const after = await recordedExample({ "mdm-kernel-public": 503 });
    dropSidecar(after, "roof-");
    await writeSnapshot(before, join(dir, "before.json.gz"));
    await writeSnapshot(after, join(dir, "after.json.gz"));

    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(repo, "src/cli.ts"),
        "diff",
        join(dir, "before.json.gz"),
        join(dir, "after.json.gz"),
        "--plan",
        PLAN,
      ],
      { cwd: repo, encoding: "utf8" },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /Deployment sre\/roof lost its sidecar/);
    assert.match(
      run.stdout,
      /Probe mdm-kernel-public: https:\/\/kernel\.example\.com\/healthz returned HTTP 503, expected 200 \(was HTTP 200\)/,
    );
  });

  it("reports no regression between equal runs", async () => {
    const plan = await loadPlan(PLAN);
    const state = await recordedExample({});
    const first = runVerification({ state, plan }).result;
    const second = runVerification({ state, plan }).result;
    const report = diffResults(first, second);
    assert.deepEqual(report.regressions, []);
    assert.deepEqual(report.improvements, []);
    assert.deepEqual(report.meshChanges, []);
  });

  it("lists newly meshed workloads and policy changes", async () => {
    const plan = await loadPlan(PLAN);
    const state = await recordedExample({});
    const unmeshed = structuredClone(state);
    dropSidecar(unmeshed, "roof-");
    const changed = structuredClone(state);
    const vaultPolicy = changed.objects.find(
      (object) => object.kind === "PeerAuthentication" && object.metadata.name === "vault-permissive",
    );
    assert.ok(vaultPolicy);
    vaultPolicy.spec = { ...vaultPolicy.spec, mtls: { mode: "STRICT" } };

    const report = diffResults(
      runVerification({ state: unmeshed, plan }).result,
      runVerification({ state: changed, plan }).result,
    );
    const changes = report.meshChanges.map((item) => item.message);
    assert.ok(changes.includes("Deployment sre/roof newly meshed (classic sidecar)"), changes.join("\n"));
    assert.ok(changes.includes("PeerAuthentication vault/vault-permissive changed"), changes.join("\n"));
  });
});
