import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CAPTURED_AT,
  deploymentWithPods,
  meshConfigMap,
  modelOf,
  namespace,
  plan,
  pod,
  resource,
  workload,
} from "../support/builders.js";

describe("ClusterModel workloads", () => {
  it("resolves Deployments through their ReplicaSets", () => {
    const model = modelOf([
      namespace("sre"),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" }),
    ]);
    const kernel = model.workload("Deployment sre/mdm-kernel");
    assert.ok(kernel);
    assert.equal(kernel.pods.length, 1);
    assert.equal(kernel.sidecarKind, "native");
    assert.equal(kernel.meshed, true);
  });

  it("finds the Deployment when the ReplicaSet is missing", () => {
    const objects = deploymentWithPods({ namespace: "sre", name: "roof", sidecar: "classic" }).filter(
      (object) => object.kind !== "ReplicaSet",
    );
    const model = modelOf(objects);
    assert.equal(model.pods[0]?.workload, "Deployment sre/roof");
  });

  it("resolves CronJob pods through their Job", () => {
    const cron = resource("batch/v1", "CronJob", "sre", "nightly", {
      jobTemplate: { spec: { template: { metadata: { labels: {} }, spec: {} } } },
    });
    const job = resource(
      "batch/v1",
      "Job",
      "sre",
      "nightly-29000",
      {},
      {
        ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: "nightly", controller: true }],
      },
    );
    const jobPod = pod({ namespace: "sre", name: "nightly-29000-x", owner: "Job/nightly-29000" });
    const model = modelOf([cron, job, jobPod]);
    assert.equal(model.pods[0]?.workload, "CronJob sre/nightly");
  });

  it("keeps bare pods as their own workload", () => {
    const model = modelOf([pod({ namespace: "sre", name: "debug" })]);
    assert.equal(model.pods[0]?.workload, "Pod sre/debug");
  });

  it("includes controllers scaled to zero", () => {
    const model = modelOf([
      namespace("sre", { "istio-injection": "enabled" }),
      workload({ namespace: "sre", name: "redis", kind: "StatefulSet", replicas: 0 }),
    ]);
    const redis = model.workload("StatefulSet sre/redis");
    assert.ok(redis);
    assert.equal(redis.pods.length, 0);
    assert.equal(redis.injectionOnRestart?.injects, true);
  });

  it("marks mixed sidecar kinds", () => {
    const model = modelOf(
      deploymentWithPods({ namespace: "sre", name: "opa", pods: [{ sidecar: "native" }, { sidecar: "classic" }] }),
    );
    assert.equal(model.workload("Deployment sre/opa")?.sidecarKind, "mixed");
  });
});

describe("ClusterModel indexes", () => {
  it("matches selectors through the label index", () => {
    const model = modelOf([
      ...deploymentWithPods({ namespace: "sre", name: "vault-agent" }),
      pod({ namespace: "vault", name: "vault-0", labels: { "app.kubernetes.io/name": "vault" } }),
      pod({ namespace: "other", name: "vault-copy", labels: { "app.kubernetes.io/name": "vault" } }),
    ]);
    const inVault = model.podsMatching({ matchLabels: { "app.kubernetes.io/name": "vault" } }, "vault");
    assert.deepEqual(
      inVault.map((match) => match.subject),
      ["Pod vault/vault-0"],
    );
    const everywhere = model.podsMatching({ matchLabels: { "app.kubernetes.io/name": "vault" } });
    assert.equal(everywhere.length, 2);
  });

  it("counts look-ups", () => {
    const model = modelOf([pod({ namespace: "sre", name: "a", labels: { app: "a" } })]);
    const before = model.stats.lookups;
    model.podsMatching({ matchLabels: { app: "a" } });
    assert.equal(model.stats.lookups - before, 2);
  });
});

describe("ClusterModel inputs", () => {
  it("reads the mesh config and its defaults", () => {
    const model = modelOf([
      meshConfigMap("trustDomain: insignia.tech\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"),
    ]);
    assert.equal(model.mesh.trustDomain, "insignia.tech");
    assert.equal(model.mesh.outboundTrafficPolicy, "REGISTRY_ONLY");
    assert.equal(model.mesh.rootNamespace, "istio-system");
    assert.ok(model.mesh.defaulted.includes("rootNamespace"));
  });

  it("defaults the trust domain to cluster.local without a ConfigMap", () => {
    const model = modelOf([]);
    assert.equal(model.mesh.trustDomain, "cluster.local");
    assert.equal(model.mesh.source, undefined);
  });

  it("prefers the plan's capture time over the newest object time", () => {
    const withPlan = plan({ window: { start: "2026-06-28T18:00:00Z", capturedAt: "2026-06-28T22:00:00Z" } });
    const inferred = modelOf([], withPlan, { capturedAt: CAPTURED_AT, capturedAtSource: "newest-object-timestamp" });
    assert.equal(inferred.now.toISOString(), "2026-06-28T22:00:00.000Z");
    assert.equal(inferred.nowSource, "plan");
    const recorded = modelOf([], withPlan, { capturedAt: CAPTURED_AT, capturedAtSource: "snapshot-file" });
    assert.equal(recorded.now.toISOString(), "2026-06-28T21:40:00.000Z");
  });

  it("takes the Kubernetes version from the state", () => {
    const model = modelOf([]);
    assert.deepEqual(
      { major: model.kubernetesVersion?.major, minor: model.kubernetesVersion?.minor },
      { major: 1, minor: 36 },
    );
  });
});
