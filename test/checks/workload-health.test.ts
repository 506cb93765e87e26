import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import { workloadHealthChecks } from "../../src/checks/workload-health.js";
import type { KubeObject, Pod } from "../../src/model/kube.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";
import { deploymentWithPods, modelOf, namespace, plan, resource } from "../support/builders.js";

const readiness = workloadHealthChecks.find((check) => check.id === "MP-HEALTH-01") as CheckDefinition;
const attribution = workloadHealthChecks.find((check) => check.id === "MP-HEALTH-02") as CheckDefinition;

const sre = namespace("sre", { "istio-injection": "enabled" });

function run(check: CheckDefinition, objects: KubeObject[], withPlan: RolloutPlan | undefined = plan()): CheckResult {
  return runCheck(check, modelOf(objects, withPlan), withPlan);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

describe("MP-HEALTH-01 meshed workloads are ready", () => {
  it("passes ready native and classic workloads", () => {
    const objects = [
      sre,
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" }),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-sas", sidecar: "classic" }),
    ];
    const result = run(readiness, objects);
    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), ["pass Deployment sre/mdm-kernel", "pass Deployment sre/mdm-sas"]);
    assert.equal(result.summary, "2/2 meshed workloads ready (mdm-kernel 1/1, mdm-sas 1/1).");
    assert.equal(result.facts, undefined);
  });

  it("fails a workload whose proxy is not ready and reports the outage", () => {
    const objects = [
      sre,
      ...deploymentWithPods({
        namespace: "sre",
        name: "mdm-sas",
        sidecar: "classic",
        readyReplicas: 0,
        pods: [{ proxyReady: false }],
      }),
    ];
    const result = run(readiness, objects);
    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail Deployment sre/mdm-sas"]);
    assert.match(
      result.findings[0]!.message,
      /^not ready: 0\/1 replicas ready; mdm-sas-abc12-p0 1\/2 Running, istio-proxy not ready/,
    );
    assert.deepEqual(result.facts, { outages: ["Deployment sre/mdm-sas"] });
  });

  it("fails a native pod stuck in PodInitializing and names the startup probe", () => {
    const objects = [
      sre,
      ...deploymentWithPods({
        namespace: "sre",
        name: "poi-api",
        sidecar: "native",
        readyReplicas: 0,
        pods: [{ waiting: "PodInitializing", ready: false, proxyReady: false }],
      }),
    ];
    const result = run(readiness, objects);
    assert.equal(result.verdict, "fail");
    const message = result.findings[0]!.message;
    assert.match(message, /stuck in PodInitializing/);
    assert.match(message, /startup probe \(15021 \/healthz\/ready\)/);
    assert.match(message, /missing registration entry/);
  });

  it("fails when fewer replicas are ready than desired", () => {
    const objects = [
      sre,
      ...deploymentWithPods({ namespace: "sre", name: "roof", sidecar: "classic", replicas: 2, readyReplicas: 1 }),
    ];
    const result = run(readiness, objects);
    assert.equal(result.verdict, "fail");
    assert.equal(result.summary, "0/1 meshed workloads ready; not ready: roof 1/2.");
  });
});

const WORKER = "Pod sre/mdm-projection-worker-abc12-p0";

/** Builds an unmeshed worker created the day before the window, crash-looping but Running 1/1 at capture. */
function worker(options: { restarts?: number; createdAt?: string; waiting?: string } = {}): KubeObject[] {
  return [
    namespace("sre", { "istio-injection": "enabled" }),
    ...deploymentWithPods({
      namespace: "sre",
      name: "mdm-projection-worker",
      templateLabels: { "sidecar.istio.io/inject": "false" },
      pods: [
        {
          createdAt: options.createdAt ?? "2026-06-27T09:00:00Z",
          restarts: options.restarts ?? 29,
          lastTerminatedAt: "2026-06-28T21:35:00Z",
          waiting: options.waiting,
        },
      ],
    }),
  ];
}

describe("MP-HEALTH-02 failing pods attributed to the window", () => {
  it("reports an old unmeshed crash loop as pre-existing with medium strength", () => {
    const result = run(attribution, worker());

    assert.equal(result.verdict, "info");
    assert.deepEqual(pairs(result), [`info ${WORKER}`]);
    const finding = result.findings[0]!;
    assert.equal(finding.strength, "medium");
    assert.deepEqual(finding.basis, [
      "pod age",
      "no sidecar",
      "no sidecar.istio.io/status",
      "restart count",
      "no STRICT PeerAuthentication or AuthorizationPolicy",
    ]);
    assert.match(
      finding.message,
      /^pre-existing: created 2026-06-27T09:00:00Z, before the window opened at 2026-06-28T18:00:00Z/,
    );
    assert.match(finding.message, /= 6900 s \(1\.9 h\) of crash-looping/);
    assert.match(
      finding.message,
      /That is less than the 13200 s \(3\.7 h\) the window had been open at 2026-06-28T21:40:00Z/,
    );
    assert.match(finding.message, /the restart count alone does not prove the loop began before the window/);
    const facts = result.facts as { preExisting: string[] };
    assert.equal(facts.preExisting.length, 1);
    assert.match(facts.preExisting[0]!, /^mdm-projection-worker-abc12-p0 \(Deployment sre\/mdm-projection-worker\)/);
    assert.match(
      result.summary,
      /^pre-existing: mdm-projection-worker \(29 restarts, not meshed\); none caused by the rollout/,
    );
    assert.match(result.summary, /now 2026-06-28T21:40:00Z from snapshot-file/);
  });

  it("calls it strong when the back-off bound exceeds the open window", () => {
    const result = run(attribution, worker({ restarts: 60 }));
    const finding = result.findings[0]!;
    assert.equal(finding.verdict, "info");
    assert.equal(finding.strength, "strong");
    assert.match(finding.message, /16200 s \(4\.5 h\) of crash-looping .* That is more than the 13200 s/);
  });

  it("warns when only pod age holds and the mesh could reject calls", () => {
    const policy = resource("security.istio.io/v1", "AuthorizationPolicy", "sre", "allow-callers", { action: "ALLOW" });
    const result = run(attribution, [...worker(), policy]);
    assert.deepEqual(pairs(result), [`warn ${WORKER}`]);
    assert.match(result.findings[0]!.message, /AuthorizationPolicy sre\/allow-callers could reject its calls/);
  });

  it("fails a meshed pod with a failing sidecar", () => {
    const objects = [
      sre,
      ...deploymentWithPods({
        namespace: "sre",
        name: "mdm-ai",
        sidecar: "classic",
        pods: [
          {
            createdAt: "2026-06-28T19:00:00Z",
            waiting: "CrashLoopBackOff",
            ready: false,
            restarts: 7,
            proxyReady: false,
            proxyRestarts: 3,
          },
        ],
      }),
    ];
    const result = run(attribution, objects);
    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail Pod sre/mdm-ai-abc12-p0"]);
    const finding = result.findings[0]!;
    assert.equal(finding.strength, "strong");
    assert.match(
      finding.message,
      /^caused by the rollout: the mesh's own container is failing \(istio-proxy not ready\)/,
    );
    assert.deepEqual(result.facts, { outages: ["Deployment sre/mdm-ai"] });
  });

  it("fails a crash loop on a pod injected after the window opened", () => {
    const objects = [
      sre,
      ...deploymentWithPods({
        namespace: "sre",
        name: "opa",
        sidecar: "native",
        pods: [{ createdAt: "2026-06-28T18:20:00Z", waiting: "CrashLoopBackOff", ready: false, restarts: 12 }],
      }),
    ];
    const result = run(attribution, objects);
    assert.deepEqual(pairs(result), ["fail Pod sre/opa-abc12-p0"]);
    assert.equal(result.findings[0]!.strength, "medium");
    assert.match(result.findings[0]!.message, /injected and created 2026-06-28T18:20:00Z, after the window opened/);
  });

  it("does not call an unmeshed crash loop that began after the window pre-existing", () => {
    const result = run(
      attribution,
      worker({ createdAt: "2026-06-28T19:30:00Z", waiting: "CrashLoopBackOff", restarts: 20 }),
    );
    assert.deepEqual(pairs(result), [`unknown ${WORKER}`]);
    assert.match(
      result.findings[0]!.message,
      /after the window opened at 2026-06-28T18:00:00Z, with no sidecar: not caused by injection, but nothing shows it predates the rollout/,
    );
    assert.equal(result.facts, undefined);
  });

  it("is unknown without a window start", () => {
    const result = run(attribution, worker(), plan({ window: undefined }));
    assert.deepEqual(pairs(result), [`unknown ${WORKER}`]);
    assert.match(
      result.findings[0]!.message,
      /^no rollout window start is known \(the plan has no spec\.window\.start\)/,
    );
    assert.match(result.summary, /\(no window start known, now 2026-06-28T21:40:00Z from snapshot-file\)\.$/);
  });

  it("passes when no pod is failing", () => {
    const objects = [sre, ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" })];
    const result = run(attribution, objects);
    assert.equal(result.verdict, "pass");
    assert.match(result.summary, /^No failing pods in istio-system, sre/);
  });

  it("ignores an old restart that ended before the window", () => {
    const objects = worker();
    const workerPod = objects.find((object) => object.kind === "Pod") as Pod;
    workerPod.status!.containerStatuses![0]!.lastState = {
      terminated: { reason: "Error", exitCode: 1, finishedAt: "2026-06-27T12:00:00Z" },
    };
    assert.equal(run(attribution, objects).verdict, "pass");
  });
});
