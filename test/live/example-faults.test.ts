import * as assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ALL_CHECKS } from "../../src/checks/registry.js";
import type { RunResult } from "../../src/run/result.js";
import { meshproof } from "../support/cli.js";
import {
  EXAMPLE_CONTEXT,
  type ExampleCluster,
  findingsByCheck,
  startExampleCluster,
  verifyLive,
} from "../support/example-cluster.js";

/** One capture time for every in-process run in this file, so the fault is the only difference between runs. */
const NOW = new Date();
const FAST = { clock: () => NOW, retry: { baseDelayMs: 20 } };

function checkOf(result: RunResult, id: string) {
  const check = result.checks.find((candidate) => candidate.id === id);
  assert.ok(check, `check ${id} missing`);
  return check;
}

/** Ids of the registered checks that declare `resource` in `needs`. */
function checksNeeding(resource: string): Set<string> {
  return new Set(ALL_CHECKS.filter((check) => check.needs?.includes(resource)).map((check) => check.id));
}

/**
 * Assert that `affected` checks are unknown with `cause` in their summary, and that every other
 * registered check kept its fault-free result. Phase gates are left out: they judge the results of
 * the other checks, so their verdicts follow those results by design.
 */
function assertOnlyAffected(
  result: RunResult,
  baseline: ReturnType<typeof findingsByCheck>,
  affected: Set<string>,
  cause: string,
  /** Checks that read the lost resource for part of their judgement and report that part unknown themselves. */
  partlyAffected: Set<string> = new Set(),
): void {
  assert.ok(affected.size > 0, "some check needs the lost resource");
  const registered = new Set(ALL_CHECKS.map((check) => check.id));
  for (const [id, verdicts] of findingsByCheck(result)) {
    if (!registered.has(id)) continue;
    if (partlyAffected.has(id)) {
      assert.equal(checkOf(result, id).verdict, "unknown", id);
      continue;
    }
    if (!affected.has(id)) {
      assert.deepEqual(verdicts, baseline.get(id), `${id} kept its verdict`);
      continue;
    }
    const check = checkOf(result, id);
    assert.equal(check.verdict, "unknown", id);
    assert.ok(check.summary.includes(cause), `${id} summary names ${cause}: ${check.summary}`);
  }
}

describe("example run under API faults", () => {
  let cluster: ExampleCluster;
  let baseline: ReturnType<typeof findingsByCheck>;

  before(async () => {
    cluster = await startExampleCluster();
    const { result, state } = await verifyLive(cluster, FAST);
    assert.deepEqual(result.collectionIssues, []);
    // A live run judges at its recorded capture time, the pinned clock here.
    assert.equal(state.capturedAt, NOW.toISOString());
    assert.equal(result.cluster.capturedAt, NOW.toISOString());
    assert.equal(result.cluster.capturedAtSource, "live-clock");
    baseline = findingsByCheck(result);
  });
  after(async () => {
    await cluster.close();
  });

  /** Add faults with `setup`, run once, clear the faults, and return the result and the requests to `path`. */
  async function runWith(path: string, setup: () => void, options: Parameters<typeof verifyLive>[1] = {}) {
    cluster.fake.clearAudit();
    setup();
    try {
      const { result } = await verifyLive(cluster, { ...FAST, ...options });
      return { result, requests: cluster.fake.audit.filter((entry) => entry.path === path) };
    } finally {
      cluster.fake.clearFaults();
    }
  }

  test("429 with Retry-After is retried", async () => {
    const started = Date.now();
    const { result, requests } = await runWith("/api/v1/pods", () =>
      cluster.fake.addFault({
        path: "/api/v1/pods",
        times: 1,
        action: { type: "status", status: 429, retryAfterSeconds: 1 },
      }),
    );
    assert.deepEqual(
      requests.map((entry) => entry.status),
      [429, 200],
    );
    assert.ok(Date.now() - started >= 1000, "waited for Retry-After");
    assert.deepEqual(result.collectionIssues, []);
    assert.deepEqual(findingsByCheck(result), baseline);
  });

  test("single 500 is retried", async () => {
    const path = "/apis/apps/v1/deployments";
    const { result, requests } = await runWith(path, () =>
      cluster.fake.addFault({ path, times: 1, action: { type: "status", status: 500 } }),
    );
    assert.deepEqual(
      requests.map((entry) => entry.status),
      [500, 200],
    );
    assert.deepEqual(result.collectionIssues, []);
    assert.deepEqual(findingsByCheck(result), baseline);
  });

  test("persistent 500 on DaemonSets", async () => {
    const path = "/apis/apps/v1/daemonsets";
    const { result, requests } = await runWith(path, () =>
      cluster.fake.addFault({
        path,
        action: { type: "status", status: 500, message: "etcdserver: request timed out" },
      }),
    );
    assert.equal(requests.length, 4, "four attempts");
    assert.deepEqual(
      result.collectionIssues.map((issue) => `${issue.resource} ${issue.reason}: ${issue.message}`),
      [
        "daemonsets.apps server-error: cannot list daemonsets.apps: HTTP 500: etcdserver: request timed out (after 4 attempts)",
      ],
    );
    const affected = checksNeeding("daemonsets.apps");
    assert.deepEqual([...affected].sort(), ["MP-SP-02", "MP-SP-03"]);
    assertOnlyAffected(result, baseline, affected, "daemonsets.apps server-error");
  });

  test("persistent 503 on ConfigMaps", async () => {
    const path = "/api/v1/configmaps";
    const { result } = await runWith(path, () =>
      cluster.fake.addFault({ path, action: { type: "status", status: 503, retryAfterSeconds: 0 } }),
    );
    assert.deepEqual(
      result.collectionIssues.map((issue) => `${issue.resource} ${issue.reason}`),
      ["configmaps server-error"],
    );
    const affected = checksNeeding("configmaps");
    assert.deepEqual([...affected].sort(), ["MP-AUTHZ-01", "MP-ID-01", "MP-TD-01"]);
    // MP-NS-01 checks the injector ConfigMap's templates as one part of its judgement and reports
    // that part unknown itself.
    assertOnlyAffected(result, baseline, affected, "configmaps server-error", new Set(["MP-NS-01"]));
  });

  test("hung request on ServiceEntries times out", async () => {
    const path = "/apis/networking.istio.io/v1/serviceentries";
    const started = Date.now();
    const { result, requests } = await runWith(path, () => cluster.fake.addFault({ path, action: { type: "hang" } }), {
      requestTimeoutMs: 1000,
    });
    assert.ok(Date.now() - started < 10_000, "the run did not wait for the hung request");
    assert.equal(requests.length, 1, "a timeout is not retried");
    assert.deepEqual(
      result.collectionIssues.map((issue) => `${issue.resource} ${issue.reason}`),
      ["serviceentries.networking.istio.io timeout"],
    );
    assertOnlyAffected(result, baseline, checksNeeding("serviceentries.networking.istio.io"), "timeout");
    assert.equal(checkOf(result, "MP-EXT-01").summary, "Unknown: serviceentries.networking.istio.io timeout.");
  });

  test("connection dropped mid-list of Services", async () => {
    // Ten objects per page, so the 33 Services take four pages; every page after the first drops.
    const path = "/api/v1/services";
    const { result, requests } = await runWith(
      path,
      () =>
        cluster.fake.addFault({
          path,
          query: (params) => params.has("continue"),
          action: { type: "drop-mid-response" },
        }),
      { pageSize: 10 },
    );
    assert.deepEqual(
      requests.map((entry) => `${entry.status} ${entry.query.continue ? "next page" : "first page"}`),
      ["200 first page", "200 next page", "200 next page", "200 next page", "200 next page"],
    );
    assert.deepEqual(
      result.collectionIssues.map((issue) => `${issue.resource} ${issue.reason}`),
      ["services connection-dropped"],
    );
    assert.ok(!result.checks.some((check) => check.summary.includes("internal error")));
    assertOnlyAffected(result, baseline, checksNeeding("services"), "services connection-dropped");
  });

  test("CLI --request-timeout bounds a hung request", async () => {
    const path = "/apis/networking.istio.io/v1/serviceentries";
    cluster.fake.addFault({ path, action: { type: "hang" } });
    try {
      const run = await meshproof(
        "verify",
        "--context",
        EXAMPLE_CONTEXT,
        "--kubeconfig",
        cluster.kubeconfig,
        "--plan",
        cluster.planFile,
        "--request-timeout",
        "0.5",
        "--format",
        "json",
      );
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as RunResult;
      assert.deepEqual(
        result.collectionIssues.map((issue) => `${issue.resource} ${issue.reason} ${issue.message}`),
        [
          "serviceentries.networking.istio.io timeout list serviceentries.networking.istio.io timed out after 0.5 s. Raise --request-timeout SECONDS if the API server is slow.",
        ],
      );
      assert.equal(checkOf(result, "MP-EXT-01").verdict, "unknown");
      assert.equal(checkOf(result, "MP-ID-03").verdict, "pass", "the other reads went on");
    } finally {
      cluster.fake.clearFaults();
    }
  });
});
