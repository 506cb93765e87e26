import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { injectionChecks } from "../../src/checks/injection.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import type { KubeObject, Pod } from "../../src/model/kube.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";
import { deploymentWithPods, modelOf, namespace, plan, pod, workload } from "../support/builders.js";

const meshing = injectionChecks.find((check) => check.id === "MP-INJ-01") as CheckDefinition;
const datastores = injectionChecks.find((check) => check.id === "MP-INJ-02") as CheckDefinition;

function run(check: CheckDefinition, objects: KubeObject[], withPlan: RolloutPlan): CheckResult {
  return runCheck(check, modelOf(objects, withPlan), withPlan);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

function findingFor(result: CheckResult, subject: string) {
  const finding = result.findings.find((candidate) => candidate.subject === subject);
  assert.ok(finding, `no finding for ${subject}; findings: ${pairs(result).join(" | ")}`);
  return finding;
}

const sre = namespace("sre", { "istio-injection": "enabled" });

function meshPlan(workloads: Array<{ name: string; kind?: string; canary?: boolean }>): RolloutPlan {
  return plan({ mesh: { namespaces: ["sre"], workloads: workloads.map((ref) => ({ namespace: "sre", ...ref })) } });
}

/** Removes restartPolicy: Always from every istio-proxy init container, so no pod keeps a native sidecar. */
function withRunOnceProxy(objects: KubeObject[]): KubeObject[] {
  for (const object of objects) {
    if (object.kind !== "Pod") continue;
    const proxy = (object as Pod).spec?.initContainers?.find((container) => container.name === "istio-proxy");
    if (proxy) delete proxy.restartPolicy;
  }
  return objects;
}

describe("MP-INJ-01 planned workloads carry a sidecar", () => {
  it("counts a native sidecar found only under initContainers as meshed", () => {
    const objects = [
      sre,
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" }),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-ai", sidecar: "classic" }),
      ...deploymentWithPods({ namespace: "sre", name: "hello-world", sidecar: "classic" }),
    ];
    const kernelPod = objects.find(
      (object) => object.kind === "Pod" && object.metadata.name.startsWith("mdm-kernel"),
    ) as Pod;
    assert.deepEqual(
      kernelPod.spec?.containers?.map((container) => container.name),
      ["app"],
    );

    const result = run(
      meshing,
      objects,
      meshPlan([{ name: "mdm-kernel" }, { name: "mdm-ai" }, { name: "hello-world", canary: true }]),
    );

    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), [
      "pass Deployment sre/mdm-kernel",
      "pass Deployment sre/mdm-ai",
      "pass Deployment sre/hello-world",
    ]);
    assert.match(findingFor(result, "Deployment sre/mdm-kernel").message, /^meshed \(native sidecar\)/);
    assert.match(findingFor(result, "Deployment sre/mdm-ai").message, /^meshed \(classic sidecar\)/);
    assert.equal(
      result.summary,
      "2 app services + the hello-world canary carry istio-proxy (1 native: mdm-kernel; 2 classic).",
    );
    assert.deepEqual(result.facts, { appServicesMeshed: 2, canariesMeshed: 1 });
  });

  it("lists meshed and native workloads in the evidence", () => {
    const objects = [sre, ...deploymentWithPods({ namespace: "sre", name: "poi-api", sidecar: "native" })];
    const result = run(meshing, objects, meshPlan([{ name: "poi-api" }]));
    const evidence = result.evidence[0];
    assert.ok(evidence);
    assert.match(evidence.command, /^kubectl -n sre get pods -o jsonpath=/);
    assert.match(evidence.output, /^MESHED: poi-api$/m);
    assert.match(evidence.output, /^poi-api -> initContainers: istio-init,istio-proxy$/m);
    assert.match(evidence.output, /^poi-api-abc12-p0 containers=app init=istio-init= istio-proxy=Always$/m);
  });

  it("fails an istio-proxy init container without restartPolicy Always", () => {
    const objects = withRunOnceProxy([
      sre,
      ...deploymentWithPods({ namespace: "sre", name: "opal-server", sidecar: "native" }),
    ]);
    const result = run(meshing, objects, meshPlan([{ name: "opal-server" }]));

    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail Deployment sre/opal-server"]);
    const finding = findingFor(result, "Deployment sre/opal-server");
    assert.match(finding.message, /^not meshed: /);
    assert.match(finding.message, /without restartPolicy: Always/);
    assert.deepEqual(result.facts, { appServicesMeshed: 0, canariesMeshed: 0 });
  });

  it("fails an opted-out workload with the injector's reason", () => {
    const objects = [
      sre,
      ...deploymentWithPods({ namespace: "sre", name: "roof", templateLabels: { "sidecar.istio.io/inject": "false" } }),
    ];
    const result = run(meshing, objects, meshPlan([{ name: "roof" }]));

    assert.deepEqual(pairs(result), ["fail Deployment sre/roof"]);
    assert.match(
      findingFor(result, "Deployment sre/roof").message,
      /^not meshed: pod label sidecar\.istio\.io\/inject="false" opts the pod out/,
    );
    assert.match(result.summary, /roof is not meshed\./);
  });

  it("fails a workload in an unlabelled namespace", () => {
    const objects = [namespace("sre"), ...deploymentWithPods({ namespace: "sre", name: "roof" })];
    const result = run(meshing, objects, meshPlan([{ name: "roof" }]));
    assert.deepEqual(pairs(result), ["fail Deployment sre/roof"]);
    assert.match(findingFor(result, "Deployment sre/roof").message, /not labelled for injection/);
  });

  it("fails a hostNetwork workload", () => {
    const objects = [sre, ...deploymentWithPods({ namespace: "sre", name: "roof", pods: [{ hostNetwork: true }] })];
    const result = run(meshing, objects, meshPlan([{ name: "roof" }]));
    assert.match(findingFor(result, "Deployment sre/roof").message, /hostNetwork pods are never injected/);
  });

  it("warns on a stale pod the injector would inject now", () => {
    // The namespace is labelled and the pod does not opt out: it predates the label.
    const objects = [sre, ...deploymentWithPods({ namespace: "sre", name: "cmp-docs" })];
    const result = run(meshing, objects, meshPlan([{ name: "cmp-docs" }]));

    assert.deepEqual(pairs(result), ["warn Deployment sre/cmp-docs"]);
    const finding = findingFor(result, "Deployment sre/cmp-docs");
    assert.match(finding.message, /^stale pod: cmp-docs-abc12-p0 has no sidecar/);
    assert.match(finding.hint ?? "", /kubectl -n sre rollout restart deploy\/cmp-docs/);
  });

  it("warns on a meshed pod whose template now opts out", () => {
    const objects = [sre, ...deploymentWithPods({ namespace: "sre", name: "opa", sidecar: "classic" })];
    const template = objects.find((object) => object.kind === "Deployment")!;
    template.spec.template.metadata.labels["sidecar.istio.io/inject"] = "false";
    const result = run(meshing, objects, meshPlan([{ name: "opa" }]));

    assert.deepEqual(pairs(result), ["warn Deployment sre/opa"]);
    assert.match(findingFor(result, "Deployment sre/opa").message, /would not be injected on the next restart/);
    assert.deepEqual(result.facts, { appServicesMeshed: 1, canariesMeshed: 0 });
  });

  it("warns on a meshed workload the plan does not list", () => {
    const objects = [
      sre,
      ...deploymentWithPods({ namespace: "sre", name: "mdm-sas", sidecar: "classic" }),
      ...deploymentWithPods({ namespace: "sre", name: "realmdm-opa", sidecar: "classic" }),
    ];
    const result = run(meshing, objects, meshPlan([{ name: "mdm-sas" }]));

    assert.deepEqual(pairs(result), ["pass Deployment sre/mdm-sas", "warn Deployment sre/realmdm-opa"]);
    assert.match(findingFor(result, "Deployment sre/realmdm-opa").message, /^unplanned: /);
    assert.match(result.summary, /Unplanned: realmdm-opa\./);
  });

  it("fails a planned workload that does not exist", () => {
    const result = run(meshing, [sre], meshPlan([{ name: "ghost" }]));
    assert.deepEqual(pairs(result), ["fail Deployment sre/ghost"]);
    assert.match(findingFor(result, "Deployment sre/ghost").message, /^not found/);
  });

  it("names the real kind when the plan gives the wrong one", () => {
    const objects = [sre, workload({ namespace: "sre", name: "roof", kind: "StatefulSet" })];
    const result = run(meshing, objects, meshPlan([{ name: "roof" }]));
    assert.match(findingFor(result, "Deployment sre/roof").message, /StatefulSet sre\/roof exists/);
  });

  it("skips without a plan", () => {
    const result = runCheck(meshing, modelOf([sre]), undefined);
    assert.equal(result.verdict, "skip");
  });
});

function statefulSetWithPods(
  name: string,
  options: { templateLabels?: Record<string, string>; replicas?: number; sidecar?: "classic" | "native" },
): KubeObject[] {
  const controller = workload({
    namespace: "sre",
    name,
    kind: "StatefulSet",
    replicas: options.replicas,
    templateLabels: options.templateLabels,
  });
  const pods = Array.from({ length: options.replicas ?? 1 }, (_, index) =>
    pod({
      namespace: "sre",
      name: `${name}-${index}`,
      labels: { app: name, ...(options.templateLabels ?? {}) },
      owner: `StatefulSet/${name}`,
      sidecar: options.sidecar,
    }),
  );
  return [controller, ...pods];
}

const optOut = { "sidecar.istio.io/inject": "false" };

function datastorePlan(names: string[]): RolloutPlan {
  return plan({ datastores: names.map((name) => ({ name, selector: { matchLabels: { app: name } } })) });
}

describe("MP-INJ-02 datastores stay out of the mesh", () => {
  it("passes opted-out datastores and one in a namespace that does not inject", () => {
    const objects = [
      sre,
      namespace("data"),
      ...statefulSetWithPods("postgres", { templateLabels: optOut }),
      ...statefulSetWithPods("vault", { templateLabels: optOut }),
      workload({ namespace: "data", name: "redis", kind: "StatefulSet" }),
      pod({ namespace: "data", name: "redis-0", labels: { app: "redis" }, owner: "StatefulSet/redis" }),
    ];
    const result = run(datastores, objects, datastorePlan(["postgres", "vault", "redis"]));

    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), [
      "pass StatefulSet data/redis",
      "pass StatefulSet sre/postgres",
      "pass StatefulSet sre/vault",
    ]);
    assert.equal(
      result.summary,
      "No datastore carries a sidecar; all 3 datastore workloads opt out or sit in namespaces that do not inject.",
    );
    assert.match(findingFor(result, "StatefulSet sre/postgres").message, /opts the pod out/);
    assert.match(result.evidence[0]?.output ?? "", /no LEAK lines above/);
  });

  it("fails a datastore pod that carries a sidecar", () => {
    const objects = [sre, ...statefulSetWithPods("neo4j", { templateLabels: optOut, sidecar: "classic" })];
    const result = run(datastores, objects, datastorePlan(["neo4j"]));

    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail StatefulSet sre/neo4j"]);
    assert.match(
      findingFor(result, "StatefulSet sre/neo4j").message,
      /runs with a sidecar: neo4j-0 \(istio-proxy in containers\)/,
    );
    assert.match(result.evidence[0]?.output ?? "", /^LEAK: sre\/neo4j-0 \(istio-proxy in containers\)$/m);
  });

  it("fails a datastore that would get a sidecar on its next restart", () => {
    // Scaled to zero, no opt-out label, in a namespace with istio-injection=enabled.
    const objects = [sre, workload({ namespace: "sre", name: "redpanda", kind: "StatefulSet", replicas: 0 })];
    const result = run(datastores, objects, datastorePlan(["redpanda"]));

    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail StatefulSet sre/redpanda"]);
    const message = findingFor(result, "StatefulSet sre/redpanda").message;
    assert.match(message, /would get a sidecar on its next restart/);
    assert.match(
      message,
      /namespace sre has istio-injection=enabled and the template has no sidecar\.istio\.io\/inject: "false" label/,
    );
    assert.match(result.summary, /StatefulSet sre\/redpanda would get one on its next restart/);
  });

  it("fails a latent leak in a CronJob template", () => {
    const cronJob: KubeObject = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "temporal-schema", namespace: "sre" },
      spec: {
        jobTemplate: {
          spec: {
            template: { metadata: { labels: { app: "temporal" } }, spec: { containers: [{ name: "migrate" }] } },
          },
        },
      },
    };
    const objects = [sre, ...statefulSetWithPods("temporal", { templateLabels: optOut }), cronJob];
    const result = run(datastores, objects, datastorePlan(["temporal"]));

    assert.deepEqual(pairs(result), ["fail CronJob sre/temporal-schema", "pass StatefulSet sre/temporal"]);
    assert.match(findingFor(result, "CronJob sre/temporal-schema").message, /next restart/);
  });

  it("warns when a datastore selector matches nothing", () => {
    const result = run(datastores, [sre], datastorePlan(["kafka"]));
    assert.equal(result.verdict, "warn");
    assert.deepEqual(pairs(result), ["warn Datastore kafka"]);
    assert.match(findingFor(result, "Datastore kafka").message, /matches no pod and no controller template/);
  });
});
