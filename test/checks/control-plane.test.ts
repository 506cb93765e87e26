import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { controlPlaneChecks } from "../../src/checks/control-plane.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import type { CollectedState } from "../../src/collect/types.js";
import { chartDefaultWebhooks } from "../../src/model/injection.js";
import type { EnvVar, KubeObject, Pod } from "../../src/model/kube.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";
import { deploymentWithPods, modelOf, namespace, plan } from "../support/builders.js";

const health = controlPlaneChecks.find((check) => check.id === "MP-CP-01") as CheckDefinition;
const support = controlPlaneChecks.find((check) => check.id === "MP-CP-02") as CheckDefinition;
const skew = controlPlaneChecks.find((check) => check.id === "MP-CP-03") as CheckDefinition;
const webhook = controlPlaneChecks.find((check) => check.id === "MP-CP-04") as CheckDefinition;

const ISTIOD = "Deployment istio-system/istiod";

interface IstiodOptions {
  tag?: string;
  replicas?: number;
  readyReplicas?: number;
  generation?: number;
  observedGeneration?: number;
  env?: EnvVar[];
  /** One entry per pod: its image tag, readiness and env; defaults to one ready pod on `tag`. */
  pods?: Array<{ tag?: string; ready?: boolean; env?: EnvVar[] }>;
}

/** istiod's Deployment and pods as the 1.23 chart creates them, with a `discovery` container. */
function istiod(options: IstiodOptions = {}): KubeObject[] {
  const tag = options.tag ?? "1.23.2";
  const replicas = options.replicas ?? 1;
  const deployment: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "istiod",
      namespace: "istio-system",
      generation: options.generation ?? 1,
      labels: { app: "istiod" },
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: "istiod" } },
      template: {
        metadata: { labels: { app: "istiod" } },
        spec: { containers: [{ name: "discovery", image: `docker.io/istio/pilot:${tag}`, env: options.env }] },
      },
    },
    status: {
      replicas,
      readyReplicas: options.readyReplicas ?? replicas,
      observedGeneration: options.observedGeneration ?? 1,
    },
  };
  const replicaSet: KubeObject = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: "istiod-5d8f",
      namespace: "istio-system",
      ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: "istiod", controller: true }],
    },
  };
  const pods = (options.pods ?? [{}]).map((podOptions, index): Pod => {
    const ready = podOptions.ready ?? true;
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `istiod-5d8f-${index}`,
        namespace: "istio-system",
        labels: { app: "istiod", "pod-template-hash": "5d8f" },
        ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "istiod-5d8f", controller: true }],
      },
      spec: {
        nodeName: "node-1",
        containers: [
          {
            name: "discovery",
            image: `docker.io/istio/pilot:${podOptions.tag ?? tag}`,
            env: podOptions.env ?? options.env,
          },
        ],
      },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
        containerStatuses: [{ name: "discovery", ready, restartCount: 0 }],
      },
    };
  });
  return [deployment, replicaSet, ...pods];
}

function run(
  check: CheckDefinition,
  objects: KubeObject[],
  withPlan?: RolloutPlan,
  overrides: Partial<CollectedState> = {},
): CheckResult {
  return runCheck(check, modelOf(objects, withPlan, overrides), withPlan);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

function findingWith(result: CheckResult, verdict: string, subject: string) {
  const finding = result.findings.find((candidate) => candidate.verdict === verdict && candidate.subject === subject);
  assert.ok(finding, `no ${verdict} finding for ${subject}; findings: ${pairs(result).join(" | ")}`);
  return finding;
}

describe("MP-CP-01 istiod health and version", () => {
  it("passes a ready istiod at the planned version", () => {
    const result = run(health, istiod(), plan());
    assert.equal(result.verdict, "pass");
    assert.equal(result.summary, "Running, v1.23.2. Healthy.");
    assert.deepEqual(pairs(result), [`pass ${ISTIOD}`]);
    assert.match(result.evidence[0]?.command ?? "", /get deploy istiod -o jsonpath=.*discovery/);
    assert.equal(result.evidence[0]?.output, "docker.io/istio/pilot:1.23.2");
    assert.match(
      result.evidence[1]?.output ?? "",
      /^NAME\s+READY\s+STATUS\s+IMAGE\nistiod-5d8f-0\s+true\s+Running\s+docker.io\/istio\/pilot:1.23.2$/,
    );
  });

  it("fails when no replica is ready", () => {
    const result = run(health, istiod({ readyReplicas: 0, pods: [{ ready: false }] }), plan());
    assert.equal(result.verdict, "fail");
    assert.match(findingWith(result, "fail", ISTIOD).message, /No ready istiod replica \(0\/1 replicas ready\)/);
    assert.match(result.summary, /^Not ready/);
  });

  it("fails with a clear message when no istiod exists", () => {
    const result = run(health, [namespace("istio-system")], plan());
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", ISTIOD).message,
      /No istiod Deployment and no pod labelled app=istiod in namespace istio-system/,
    );
  });

  it("warns on mixed tags and a rollout in progress", () => {
    const objects = istiod({
      replicas: 2,
      generation: 3,
      observedGeneration: 2,
      pods: [{ tag: "1.23.2" }, { tag: "1.23.1" }],
    });
    const result = run(health, objects, plan());
    assert.equal(result.verdict, "warn");
    const messages = result.findings.filter((finding) => finding.verdict === "warn").map((finding) => finding.message);
    assert.ok(
      messages.some((message) => /generation 3 but its controller has observed only 2/.test(message)),
      messages.join(" | "),
    );
    assert.ok(
      messages.some((message) => /mixed image tags: 1\.23\.2 .*; 1\.23\.1 \(pod istiod-5d8f-1\)/.test(message)),
      messages.join(" | "),
    );
  });

  it("warns and names both minors when the version differs from the plan", () => {
    const result = run(health, istiod({ tag: "1.24.1" }), plan());
    assert.equal(result.verdict, "warn");
    assert.match(
      findingWith(result, "warn", ISTIOD).message,
      /runs 1\.24\.1, but the plan sets 1\.23: the minor 1\.24 differs from the planned 1\.23/,
    );
  });

  it("is unknown when the Deployment list could not be read", () => {
    const result = run(health, istiod(), plan(), {
      collectionIssues: [
        { resource: "deployments.apps", reason: "forbidden", message: "denied", permission: "list deployments" },
      ],
    });
    assert.equal(result.verdict, "unknown");
  });
});

describe("MP-CP-02 support window", () => {
  it("warns with end of life and range for Istio 1.23 on Kubernetes 1.36", () => {
    const result = run(support, istiod(), plan());
    assert.equal(result.verdict, "warn");
    assert.equal(
      result.summary,
      "Istio 1.23 reached end of life on 2025-04-16 and supports Kubernetes 1.27–1.30; this cluster runs 1.36.",
    );
    assert.match(findingWith(result, "warn", ISTIOD).message, /reached end of life on 2025-04-16/);
    assert.match(
      findingWith(result, "warn", "Cluster (unnamed)").message,
      /Kubernetes 1\.36 .* is outside 1\.27–1\.30/,
    );
  });

  it("passes a supported pairing inside the window", () => {
    const result = run(support, istiod(), plan(), {
      capturedAt: "2025-01-10T00:00:00Z",
      kubernetesVersion: { gitVersion: "v1.29.4", source: "version-endpoint" },
    });
    assert.equal(result.verdict, "pass");
    assert.equal(result.summary, "Istio 1.23 on Kubernetes 1.29: a supported pairing until 2025-04-16.");
    assert.equal(result.evidence[1]?.output, "Server Version: v1.29.4");
  });

  it("fails when native sidecars are enabled below Kubernetes 1.29", () => {
    const env = [{ name: "ENABLE_NATIVE_SIDECARS", value: "true" }];
    const result = run(support, istiod({ env }), plan(), {
      capturedAt: "2025-01-10T00:00:00Z",
      kubernetesVersion: { gitVersion: "v1.28.9", source: "version-endpoint" },
    });
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", "Pod istio-system/istiod-5d8f-0").message,
      /ENABLE_NATIVE_SIDECARS=true on Kubernetes 1\.28/,
    );
    assert.match(result.summary, /^Native sidecars are enabled on Kubernetes 1\.28/);
  });

  it("is unknown when the Kubernetes version is unknown", () => {
    const result = run(support, istiod(), plan(), { kubernetesVersion: undefined });
    assert.equal(result.verdict, "unknown");
    assert.match(findingWith(result, "unknown", "Cluster (unnamed)").message, /Kubernetes version is unknown/);
  });

  it("is unknown when the Istio version is unknown", () => {
    const result = run(support, [], plan({ istio: { namespace: "istio-system", revision: "default" } }));
    assert.equal(result.verdict, "unknown");
    assert.match(findingWith(result, "unknown", ISTIOD).message, /Istio version is unknown/);
  });
});

function meshedApp(name: string, proxyTag: string, sidecar: "native" | "classic" = "classic"): KubeObject[] {
  return deploymentWithPods({
    namespace: "sre",
    name,
    sidecar,
    pods: [{ proxyImage: `docker.io/istio/proxyv2:${proxyTag}` }],
  });
}

describe("MP-CP-03 proxy version skew", () => {
  it("passes when every proxy runs istiod's minor", () => {
    const result = run(skew, [
      ...istiod(),
      ...meshedApp("mdm-kernel", "1.23.2", "native"),
      ...meshedApp("mdm-ai", "1.23.2"),
    ]);
    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), [`pass ${ISTIOD}`]);
    assert.equal(result.summary, "All 2 proxies in 2 workloads on 1.23.x, matching istiod 1.23.2.");
  });

  it("fails a proxy newer than istiod", () => {
    const result = run(skew, [...istiod(), ...meshedApp("mdm-kernel", "1.24.0"), ...meshedApp("mdm-ai", "1.23.2")]);
    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail Deployment sre/mdm-kernel"]);
    assert.match(result.findings[0]?.message ?? "", /istio-proxy 1\.24\.0, newer than istiod 1\.23\.2/);
    assert.match(
      result.evidence[1]?.output ?? "",
      /\nsre\s+mdm-kernel-abc12-p0\s+docker.io\/istio\/proxyv2:1\.24\.0\n/,
    );
  });

  it("warns for one minor older and explains more than one minor older", () => {
    const result = run(skew, [
      ...istiod({ tag: "1.24.1" }),
      ...meshedApp("mdm-kernel", "1.23.2"),
      ...meshedApp("mdm-ai", "1.22.5"),
    ]);
    assert.equal(result.verdict, "warn");
    assert.match(
      findingWith(result, "warn", "Deployment sre/mdm-kernel").message,
      /one minor older than istiod 1\.24\.1/,
    );
    assert.match(
      findingWith(result, "warn", "Deployment sre/mdm-ai").message,
      /2 minors older .* outside the supported skew/,
    );
  });
});

/** The 1.23 chart's webhooks with a CA bundle, as istiod patches them after start. */
function injectorWebhookConfiguration(edit?: (webhooks: Array<Record<string, unknown>>) => void): KubeObject {
  const webhooks: Array<Record<string, unknown>> = chartDefaultWebhooks("default").map((rule) => ({
    name: rule.name,
    failurePolicy: "Fail",
    namespaceSelector: structuredClone(rule.namespaceSelector),
    objectSelector: structuredClone(rule.objectSelector),
    clientConfig: {
      caBundle: "LS0tLS1CRUdJTi",
      service: { name: "istiod", namespace: "istio-system", path: "/inject" },
    },
  }));
  edit?.(webhooks);
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: "istio-sidecar-injector" },
    webhooks,
  };
}

const WEBHOOK = "MutatingWebhookConfiguration istio-sidecar-injector";

describe("MP-CP-04 injector webhook", () => {
  it("passes the chart's webhooks and explains failurePolicy Fail", () => {
    const result = run(webhook, [injectorWebhookConfiguration()]);
    assert.equal(result.verdict, "pass");
    assert.match(
      findingWith(result, "pass", WEBHOOK).message,
      /istiod is unreachable, the API server rejects pod creation/,
    );
    assert.equal(result.summary, "4 webhooks as the chart installs them; caBundle set; failurePolicy Fail.");
    assert.match(result.evidence[0]?.output ?? "", /caBundle: \(14 characters\)/);
  });

  it("fails an empty caBundle", () => {
    const result = run(webhook, [
      injectorWebhookConfiguration((webhooks) => {
        (webhooks[0] as { clientConfig: { caBundle: string } }).clientConfig.caBundle = "";
      }),
    ]);
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", WEBHOOK).message,
      /rev\.namespace\.sidecar-injector\.istio\.io: clientConfig\.caBundle is empty/,
    );
  });

  it("warns on an auto webhook and an edited selector", () => {
    const result = run(webhook, [
      injectorWebhookConfiguration((webhooks) => {
        webhooks[2] = { ...webhooks[2], namespaceSelector: { matchLabels: { "istio-injection": "on" } } };
        webhooks.push({
          name: "auto.sidecar-injector.istio.io",
          clientConfig: { caBundle: "x" },
          failurePolicy: "Fail",
        });
      }),
    ]);
    assert.equal(result.verdict, "warn");
    const messages = result.findings.filter((finding) => finding.verdict === "warn").map((finding) => finding.message);
    assert.ok(
      messages.some((message) => /enableNamespacesByDefault is on/.test(message)),
      messages.join(" | "),
    );
    assert.match(findingWith(result, "info", WEBHOOK).message, /^failurePolicy Fail: while istiod is unreachable/);
    assert.ok(
      messages.some((message) =>
        /namespace\.sidecar-injector\.istio\.io: selectors differ .*namespaceSelector is istio-injection=on/.test(
          message,
        ),
      ),
      messages.join(" | "),
    );
  });

  it("is unknown when the configuration is absent and says chart defaults were assumed", () => {
    const result = run(webhook, []);
    assert.equal(result.verdict, "unknown");
    assert.match(findingWith(result, "unknown", WEBHOOK).message, /assumed the Istio 1\.23 chart's default webhooks/);
  });
});
