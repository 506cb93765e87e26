import * as assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { COLLECTED_KINDS, resourceName } from "../../src/collect/kinds.js";
import { readSnapshot } from "../../src/collect/snapshot/read.js";
import type { CollectedState } from "../../src/collect/types.js";
import type { RunResult } from "../../src/run/result.js";
import { runVerification } from "../../src/run/run.js";
import { type CliRun, meshproof } from "../support/cli.js";
import {
  EXAMPLE_CONTEXT,
  EXAMPLE_PASSWORD,
  EXAMPLE_PLAN,
  EXAMPLE_SNAPSHOT,
  EXAMPLE_SVID,
  type ExampleCluster,
  findingsByCheck,
  startExampleCluster,
} from "../support/example-cluster.js";
import type { AuditEntry } from "../support/fake-apiserver.js";
import { deployRbacRoles, grantedPermissions } from "../support/rbac.js";

/** The example snapshot's capture time, from examples/snapshot/capture.yaml. */
const EXAMPLE_CAPTURED_AT = "2026-06-28T21:40:00Z";

/**
 * Checks that read live evidence. On the example snapshot their live part is `skip`, so only the
 * live run can show their full verdict; the tests below assert it.
 */
const LIVE_EVIDENCE_CHECKS = new Set(["MP-TD-01", "MP-SP-01", "MP-SP-02", "MP-SP-05", "MP-ID-03", "MP-PROBE-01"]);
/**
 * Checks that judge against "now". The live run's capture time is the wall clock, the example's is
 * 2026-06-28T21:40Z: MP-HEALTH-02 compares a crash loop's length with how long the window had been
 * open, and MP-CP-02 compares the date with Istio's end of life. They are compared at the example's
 * capture time instead, in "agrees at the example's capture time".
 */
const TIME_DEPENDENT_CHECKS = new Set(["MP-HEALTH-02", "MP-CP-02"]);

function parseResult(run: CliRun, label: string): RunResult {
  assert.equal(run.code, 0, `${label} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as RunResult;
}

function checkOf(result: RunResult, id: string) {
  const check = result.checks.find((candidate) => candidate.id === id);
  assert.ok(check, `check ${id} missing`);
  return check;
}

describe("live verify of the bundled example", () => {
  let cluster: ExampleCluster;
  let liveRun: CliRun;
  let live: RunResult;
  let liveAudit: AuditEntry[];
  let example: RunResult;
  let snapshotFile: string;
  let snapshotRun: CliRun;
  let fromFile: RunResult;

  before(async () => {
    cluster = await startExampleCluster();
    const source = ["--context", EXAMPLE_CONTEXT, "--kubeconfig", cluster.kubeconfig, "--plan", cluster.planFile];
    liveRun = await meshproof("verify", ...source, "--format", "json");
    live = parseResult(liveRun, "live verify");
    liveAudit = [...cluster.fake.audit];

    snapshotFile = join(await mkdtemp(join(tmpdir(), "meshproof-live-example-")), "live.json.gz");
    const [snapshotCommand, exampleRun] = await Promise.all([
      meshproof("snapshot", ...source, "-o", snapshotFile),
      meshproof("verify", "--snapshot", EXAMPLE_SNAPSHOT, "--plan", EXAMPLE_PLAN, "--format", "json"),
    ]);
    snapshotRun = snapshotCommand;
    assert.equal(snapshotRun.code, 0, snapshotRun.stderr);
    example = parseResult(exampleRun, "example snapshot verify");
    const fromFileRun = await meshproof(
      "verify",
      "--snapshot",
      snapshotFile,
      "--plan",
      cluster.planFile,
      "--format",
      "json",
    );
    fromFile = parseResult(fromFileRun, "verify of the written snapshot");
  });
  after(async () => {
    await cluster.close();
  });

  test("reads the cluster without collection issues", () => {
    assert.equal(live.cluster.sourceType, "live");
    assert.equal(live.cluster.source, `${EXAMPLE_CONTEXT} (${cluster.fake.url})`);
    assert.equal(live.cluster.kubernetesVersion, "v1.36.1");
    assert.deepEqual(live.collectionIssues, []);
    assert.equal(live.input.secretsDropped, 0, "the Secret was never listed, so none was dropped");
  });

  test("matches the example on object checks", () => {
    // The API server lists objects sorted by namespace and name, the example files keep their own
    // order, so findings are compared as sorted lists.
    const expected = findingsByCheck(example, { sorted: true });
    const actual = findingsByCheck(live, { sorted: true });
    assert.deepEqual([...actual.keys()], [...expected.keys()]);
    let compared = 0;
    for (const [id, verdicts] of actual) {
      if (LIVE_EVIDENCE_CHECKS.has(id) || TIME_DEPENDENT_CHECKS.has(id)) continue;
      assert.deepEqual(verdicts, expected.get(id), id);
      compared += 1;
    }
    assert.equal(compared, actual.size - LIVE_EVIDENCE_CHECKS.size - TIME_DEPENDENT_CHECKS.size);
  });

  test("agrees at the example's capture time", async () => {
    const state: CollectedState = { ...(await readSnapshot(snapshotFile)), capturedAt: EXAMPLE_CAPTURED_AT };
    const { result } = runVerification({ state, plan: cluster.plan });
    const expected = findingsByCheck(example, { sorted: true });
    const actual = findingsByCheck(result, { sorted: true });
    for (const id of TIME_DEPENDENT_CHECKS) assert.deepEqual(actual.get(id), expected.get(id), id);
    assert.equal(
      checkOf(result, "MP-HEALTH-02").summary,
      checkOf(example, "MP-HEALTH-02").summary.replace("from snapshot-file", "from live-clock"),
    );
  });

  test("probes answer 200, 200, 302 and 200", () => {
    const probes = checkOf(live, "MP-PROBE-01");
    assert.equal(probes.verdict, "pass");
    assert.equal(probes.summary, "HTTP 200, 200, 302, 200: all 4 paths answer as expected.");
    assert.deepEqual(
      probes.findings.map((finding) => `${finding.verdict} ${finding.subject}`),
      [
        "pass Deployment sre/mdm-kernel",
        "pass Deployment sre/mdm-ai",
        "pass Deployment keycloak/keycloak",
        "pass Deployment website/website",
      ],
    );
    assert.match(probes.findings[0]?.message ?? "", /server: istio-envoy, x-envoy-upstream-service-time: 4/);
    assert.match(
      probes.findings[2]?.message ?? "",
      /HTTP 302 as expected.*location: http:\/\/127\.0\.0\.1:\d+\/realms\//,
    );
    // One request from the live verify and one from `meshproof snapshot`.
    for (const server of Object.values(cluster.stubs.probes)) assert.equal(server.requests.length, 2);
    assert.equal(checkOf(example, "MP-PROBE-01").verdict, "skip");
  });

  test("every meshed workload serves the SPIRE SVID", () => {
    const identity = checkOf(live, "MP-ID-03");
    assert.equal(identity.verdict, "pass");
    assert.equal(identity.summary, "10/10 sidecars serve SPIRE-issued SVIDs with the expected SPIFFE ID.");
    const meshed = checkOf(live, "MP-INJ-01")
      .findings.map((finding) => finding.subject)
      .sort();
    assert.equal(meshed.length, 10);
    assert.deepEqual(identity.findings.map((finding) => finding.subject).sort(), meshed);
    for (const finding of identity.findings) {
      assert.equal(finding.verdict, "pass", finding.subject);
      assert.match(finding.message, new RegExp(`SPIRE-issued SVID for ${EXAMPLE_SVID}, valid until `));
    }
    for (const evidence of identity.evidence) {
      assert.match(evidence.output, /^subject=C=US, O=SPIRE\nissuer=C=US, O=SPIFFE\n/);
      assert.match(evidence.output, new RegExp(`URI SAN=${EXAMPLE_SVID}`));
    }
    assert.equal(checkOf(example, "MP-ID-03").verdict, "skip");
  });

  test("adds the SPIRE and istiod live parts", () => {
    assert.equal(
      checkOf(live, "MP-SP-01").summary,
      "Server 2/2 ready (spire-server-0 2/2 Running); healthcheck passed.",
    );
    assert.equal(checkOf(live, "MP-SP-02").summary, "All 6 agents 1/1, one on each of 6 nodes; 6 attested agents.");
    const entries = checkOf(live, "MP-SP-05");
    assert.equal(entries.verdict, "pass");
    assert.equal(
      entries.summary,
      `10/10 Running meshed pods have a registration entry for ${EXAMPLE_SVID}, each parented by the agent on its node.`,
    );
    assert.equal(checkOf(example, "MP-SP-05").verdict, "skip");
    const trustDomain = checkOf(live, "MP-TD-01");
    assert.equal(trustDomain.verdict, "pass");
    assert.match(trustDomain.summary, /^insignia\.tech — matches istiod's effective config, SPIRE/);
    for (const id of LIVE_EVIDENCE_CHECKS) {
      assert.ok(
        checkOf(live, id).findings.every((finding) => finding.verdict !== "skip" && finding.verdict !== "unknown"),
        `${id} has no skipped or unknown part on a live run`,
      );
    }
  });

  test("masks the example's password", async () => {
    assert.ok(!liveRun.stdout.includes(EXAMPLE_PASSWORD));
    const snapshotText = gunzipSync(await readFile(snapshotFile)).toString("utf8");
    assert.ok(!snapshotText.includes(EXAMPLE_PASSWORD));
    assert.ok(snapshotText.includes("postgresql://mdm_app:****@db-postgresql-nyc2-00000-do-user-0000000-0"));
  });

  test("snapshot file reproduces the live verdicts", () => {
    assert.match(snapshotRun.stderr, /^Snapshot written to .*live\.json\.gz: \d+ objects, 19 live evidence items\.\n$/);
    assert.deepEqual(findingsByCheck(fromFile), findingsByCheck(live));
  });

  test("both runs judge at the live capture time", async () => {
    const written = JSON.parse(gunzipSync(await readFile(snapshotFile)).toString("utf8")) as CollectedState;
    assert.equal(written.capturedAtSource, "live-clock");
    assert.equal(fromFile.cluster.capturedAt, new Date(written.capturedAt ?? "").toISOString());
    assert.equal(fromFile.cluster.capturedAtSource, "live-clock");
    assert.equal(live.cluster.capturedAtSource, "live-clock");
    const lag = Date.parse(fromFile.cluster.capturedAt ?? "") - Date.parse(live.cluster.capturedAt ?? "");
    assert.ok(lag > 0, `the snapshot was taken after the live run (${lag} ms)`);
    assert.ok(lag < 60_000, `the snapshot was taken within a minute of the live run (${lag} ms)`);
  });

  test("sends one list per kind, four execs and 11 forwards", () => {
    const lists = liveAudit.filter((entry) => entry.verb === "list");
    for (const kind of COLLECTED_KINDS) {
      const ofKind = lists.filter((entry) => entry.resource === kind.plural && entry.group === kind.group);
      assert.equal(ofKind.filter((entry) => entry.status === 200).length, 1, resourceName(kind));
      assert.ok(ofKind.every((entry) => entry.namespace === undefined && entry.query.limit?.[0] === "500"));
    }
    const execs = liveAudit.filter((entry) => entry.resource === "pods/exec");
    assert.deepEqual(
      execs.map((entry) => `${entry.namespace}/${entry.name} ${entry.query.command?.slice(1).join(" ")}`),
      [
        "spire-server/spire-server-0 healthcheck",
        "spire-server/spire-server-0 agent list -output json",
        "spire-server/spire-server-0 entry show -output json",
        "spire-server/spire-server-0 bundle show -format spiffe",
      ],
    );
    // Envoy admin of one pod per meshed workload, one forward carrying both GETs: the config dump and /certs.
    const forwards = liveAudit.filter((entry) => entry.resource === "pods/portforward");
    const envoy = forwards.filter((entry) => entry.query.ports?.[0] === "15000");
    assert.equal(envoy.length, 10);
    assert.equal(new Set(envoy.map((entry) => entry.name)).size, 10);
    assert.equal(cluster.stubs.envoy.requests.filter((request) => request === "GET /certs").length, 20, "two runs");
    assert.deepEqual(
      forwards.filter((entry) => entry.query.ports?.[0] === "15014").map((entry) => `${entry.namespace}/${entry.name}`),
      ["istio-system/istiod-7b94d8c6f5-wffqh"],
    );
    assert.equal(cluster.fake.auditViolations().length, 0);
  });

  test("uses every permission deploy/rbac.yaml grants", () => {
    const used = new Set(
      liveAudit.flatMap((entry) => entry.authorized.map((grant) => `${grant.verb} ${grant.group}/${grant.resource}`)),
    );
    const granted = grantedPermissions(deployRbacRoles()).map(
      (grant) => `${grant.verb} ${grant.group}/${grant.resource}`,
    );
    assert.equal(granted.length, COLLECTED_KINDS.length + 4, "list per kind, get and create per pod subresource");
    assert.deepEqual(
      granted.filter((permission) => !used.has(permission)),
      [],
      "granted but never used",
    );
    assert.equal(liveAudit.filter((entry) => entry.status === 403).length, 0);
  });

  test("unreachable cluster exits 3 naming context and server", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const port = typeof address === "object" && address ? address.port : 1;
    const server = `https://127.0.0.1:${port}`;
    const kubeconfig = await cluster.fake.writeKubeconfig({ context: "gone", server });
    const requestsBefore = cluster.fake.audit.length;

    const run = await meshproof("verify", "--context", "gone", "--kubeconfig", kubeconfig, "--plan", cluster.planFile);
    assert.equal(run.code, 3);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^meshproof: cannot read the Kubernetes API server of context "gone" at /);
    assert.ok(run.stderr.includes(`at ${server}: `), run.stderr);
    assert.match(run.stderr, /ECONNREFUSED/);
    assert.match(run.stderr, /Check the context with "kubectl --context gone version"\.\n$/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    assert.equal(cluster.fake.audit.length, requestsBefore, "nothing reached the fake");
  });
});
