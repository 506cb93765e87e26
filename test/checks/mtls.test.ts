import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PlaintextCaller } from "../../src/checks/mtls/callers.js";
import { mtlsChecks } from "../../src/checks/mtls.js";
import type { CheckResult } from "../../src/checks/types.js";
import type { PrometheusEvidence } from "../../src/collect/types.js";
import type { KubeObject, Pod, Probe } from "../../src/model/kube.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";
import {
  deploymentWithPods,
  meshConfigMap,
  modelOf,
  namespace,
  peerAuthentication,
  plan,
  pod,
  resource,
  service,
} from "../support/builders.js";

const ROOT = "istio-system";
const check = (id: string) => {
  const found = mtlsChecks.find((candidate) => candidate.id === id);
  assert.ok(found, `check ${id} missing`);
  return found;
};

/** A plan whose next phase is the STRICT flip. */
const strictPlan = (spec: Record<string, unknown> = {}): RolloutPlan =>
  plan({
    phases: { current: { id: "mesh-http-apps", mtls: "PERMISSIVE" }, next: [{ id: "strict", type: "strict" }] },
    ...spec,
  });

function run(
  id: string,
  objects: KubeObject[],
  withPlan: RolloutPlan | undefined = strictPlan(),
  evidence: PrometheusEvidence[] = [],
): CheckResult {
  return runCheck(check(id), modelOf(objects, withPlan, { evidence }), withPlan);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

function findingsOf(result: CheckResult, subject: string) {
  return result.findings.filter((finding) => finding.subject === subject);
}

/** Builds a meshed Deployment `name` in `ns` with one pod on `port`, and a Service targeting it. */
function meshedApp(ns: string, name: string, port = 8080, podOptions: Record<string, unknown> = {}): KubeObject[] {
  return [
    ...deploymentWithPods({ namespace: ns, name, sidecar: "classic", pods: [{ appPorts: [port], ...podOptions }] }),
    service(ns, name, { app: name }, [{ port: 80, targetPort: port, name: "http" }]),
  ];
}

function unmeshedApp(ns: string, name: string, port = 8080, labels: Record<string, string> = {}): KubeObject[] {
  return [
    ...deploymentWithPods({ namespace: ns, name, templateLabels: labels, pods: [{ appPorts: [port] }] }),
    service(ns, name, { app: name }, [{ port, targetPort: port, name: "http" }]),
  ];
}

const sreNamespace = namespace("sre", { "istio-injection": "enabled" });
const permissiveSre = peerAuthentication("sre", "default", { mtls: { mode: "PERMISSIVE" } });

function callersOf(result: CheckResult): PlaintextCaller[] {
  return (result.facts?.plaintextCallers ?? []) as PlaintextCaller[];
}

function promEvidence(
  purpose: "requests" | "tcp-connections" | "passthrough",
  samples: PrometheusEvidence["samples"],
  error?: PrometheusEvidence["error"],
): PrometheusEvidence {
  return {
    id: `prometheus:${purpose}`,
    type: "prometheus-query",
    command: "curl -sG 'http://127.0.0.1:9090/api/v1/query'",
    output: "",
    at: "2026-06-28T21:40:00Z",
    durationMs: 5,
    attempts: 1,
    url: "http://127.0.0.1:9090",
    purpose,
    metric: purpose === "requests" ? "istio_requests_total" : "istio_tcp_connections_opened_total",
    query: "sum by (...) (...)",
    window: "24h",
    evaluatedAt: "2026-06-28T21:40:00Z",
    samples,
    error,
  };
}

function series(destination: string, source: string, policy: string, value: number) {
  const [destinationNamespace, destinationWorkload] = destination.split("/");
  const [sourceNamespace, sourceWorkload] = source.split("/");
  return {
    labels: {
      destination_workload_namespace: destinationNamespace ?? "",
      destination_workload: destinationWorkload ?? "",
      source_workload_namespace: sourceNamespace ?? "",
      source_workload: sourceWorkload ?? "",
      connection_security_policy: policy,
    },
    value,
  };
}

function withProbe(
  objects: KubeObject[],
  podName: string,
  probe: Probe,
  kind: "readinessProbe" | "livenessProbe" = "readinessProbe",
): KubeObject[] {
  return objects.map((object) => {
    if (object.kind !== "Pod" || object.metadata.name !== podName) return object;
    const copy = structuredClone(object) as Pod;
    const app = copy.spec?.containers?.find((container) => container.name === "app");
    if (app) app[kind] = probe;
    return copy;
  });
}

describe("MP-MTLS-01 effective mode per workload and port", () => {
  it("passes when every meshed workload runs the plan's mode, and shows the flip", () => {
    const result = run("MP-MTLS-01", [sreNamespace, permissiveSre, ...meshedApp("sre", "kernel")]);

    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), ["pass Deployment sre/kernel"]);
    assert.match(result.findings[0]!.message, /Today PERMISSIVE \(PeerAuthentication sre\/default\)/);
    assert.match(result.findings[0]!.message, /8080 PERMISSIVE → STRICT/);
    assert.equal(result.facts?.mtlsMode, "PERMISSIVE");
    assert.match(
      result.summary,
      /counting PeerAuthentication sre\/default flipped with it: 1 port STRICT, 0 kept open/,
    );
  });

  it("warns when the effective mode differs from the plan's current mode", () => {
    const objects = [
      sreNamespace,
      peerAuthentication(ROOT, "default", { mtls: { mode: "STRICT" } }),
      ...meshedApp("sre", "kernel"),
    ];
    const result = run("MP-MTLS-01", objects);

    assert.equal(result.verdict, "warn");
    assert.match(result.findings[0]!.message, /The plan's current phase intends PERMISSIVE/);
  });

  it("keeps a port-level exception open after the flip", () => {
    const exception = peerAuthentication("sre", "kernel-metrics", {
      selector: { matchLabels: { app: "kernel" } },
      portLevelMtls: { "9090": { mode: "PERMISSIVE" } },
    });
    const objects = [
      sreNamespace,
      permissiveSre,
      exception,
      ...deploymentWithPods({
        namespace: "sre",
        name: "kernel",
        sidecar: "classic",
        pods: [{ appPorts: [8080, 9090] }],
      }),
      service("sre", "kernel", { app: "kernel" }, [
        { port: 80, targetPort: 8080, name: "http" },
        { port: 9090, targetPort: 9090, name: "http-metrics" },
      ]),
    ];
    const result = run("MP-MTLS-01", objects);
    const modes = result.facts?.modes as Array<{ ports: Array<{ port: number; today: string; after: string }> }>;

    assert.deepEqual(
      modes[0]?.ports.map((port) => `${port.port} ${port.today}->${port.after}`),
      ["8080 PERMISSIVE->STRICT", "9090 PERMISSIVE->PERMISSIVE"],
    );
    assert.match(result.summary, /1 port STRICT, 1 kept open by exceptions/);
  });

  it("warns when pods of one workload have different modes", () => {
    const objects = [
      sreNamespace,
      permissiveSre,
      peerAuthentication("sre", "canary-strict", {
        selector: { matchLabels: { track: "canary" } },
        mtls: { mode: "STRICT" },
      }),
      ...deploymentWithPods({
        namespace: "sre",
        name: "kernel",
        sidecar: "classic",
        pods: [{}, { labels: { app: "kernel", "pod-template-hash": "abc12", track: "canary" } }],
      }),
    ];
    const result = run("MP-MTLS-01", objects);

    assert.equal(result.verdict, "warn");
    assert.match(result.findings[0]!.message, /Pods with another effective mode: Pod sre\/kernel-abc12-p1/);
  });

  it("reports info when nothing is meshed", () => {
    const result = run("MP-MTLS-01", [sreNamespace, ...unmeshedApp("sre", "kernel")]);
    assert.deepEqual(pairs(result), [`info Namespace ${ROOT}`]);
  });

  it("is unknown when PeerAuthentications could not be read", () => {
    const model = modelOf([sreNamespace, ...meshedApp("sre", "kernel")], strictPlan(), {
      collectionIssues: [
        {
          resource: "peerauthentications.security.istio.io",
          reason: "forbidden",
          message: "forbidden",
          permission: "list peerauthentications",
        },
      ],
    });
    assert.equal(runCheck(check("MP-MTLS-01"), model, strictPlan()).verdict, "unknown");
  });
});

describe("MP-MTLS-02 inert or misplaced policies", () => {
  const base = [sreNamespace, ...meshedApp("sre", "kernel")];

  it("passes a namespace policy when no STRICT is planned", () => {
    const result = run("MP-MTLS-02", [...base, permissiveSre], plan());
    assert.deepEqual(pairs(result), ["pass PeerAuthentication sre/default"]);
  });

  it("warns that a namespace PERMISSIVE would override a planned mesh-wide STRICT", () => {
    const result = run("MP-MTLS-02", [...base, permissiveSre]);
    assert.deepEqual(pairs(result), ["warn PeerAuthentication sre/default"]);
    assert.match(result.findings[0]!.message, /A mesh-wide STRICT policy would not reach this namespace/);
  });

  it("warns that a namespace PERMISSIVE overrides a mesh-wide STRICT today", () => {
    const result = run(
      "MP-MTLS-02",
      [...base, permissiveSre, peerAuthentication(ROOT, "default", { mtls: { mode: "STRICT" } })],
      plan(),
    );
    assert.ok(pairs(result).includes("warn PeerAuthentication sre/default"));
    assert.match(
      findingsOf(result, "PeerAuthentication sre/default")[0]!.message,
      /overrides the mesh-wide STRICT today/,
    );
  });

  it("flags a newer duplicate namespace policy as ignored", () => {
    const newer = peerAuthentication("sre", "second", { mtls: { mode: "STRICT" } }, "2026-06-28T19:00:00Z");
    const result = run("MP-MTLS-02", [...base, permissiveSre, newer], plan());
    assert.equal(findingsOf(result, "PeerAuthentication sre/second")[0]?.verdict, "warn");
    assert.match(
      findingsOf(result, "PeerAuthentication sre/second")[0]!.message,
      /Ignored: the older namespace-wide policy PeerAuthentication sre\/default wins/,
    );
  });

  it("flags portLevelMtls on a policy without a selector", () => {
    const policy = peerAuthentication("sre", "default", {
      mtls: { mode: "PERMISSIVE" },
      portLevelMtls: { "8080": { mode: "DISABLE" } },
    });
    const result = run("MP-MTLS-02", [...base, policy], plan());
    assert.match(result.findings[0]!.message, /portLevelMtls \(8080\) is ignored/);
    assert.equal(result.findings[0]!.verdict, "warn");
  });

  it("flags a selector policy in the root namespace", () => {
    const policy = peerAuthentication(ROOT, "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      mtls: { mode: "STRICT" },
    });
    const result = run("MP-MTLS-02", [...base, policy], plan());
    assert.deepEqual(pairs(result), [`warn PeerAuthentication ${ROOT}/kernel`]);
    assert.match(result.findings[0]!.message, /applies only to pods in istio-system, and none match, never mesh-wide/);
  });

  it("flags a selector that matches no pod", () => {
    const policy = peerAuthentication("sre", "typo", {
      selector: { matchLabels: { app: "kernal" } },
      mtls: { mode: "PERMISSIVE" },
    });
    const result = run("MP-MTLS-02", [...base, policy], plan());
    assert.deepEqual(pairs(result), ["warn PeerAuthentication sre/typo"]);
  });

  it("reports a PERMISSIVE exception on a pod without a sidecar as inert info", () => {
    const objects = [
      namespace("vault"),
      ...unmeshedApp("vault", "vault", 8200, { "app.kubernetes.io/name": "vault" }),
      peerAuthentication("vault", "vault-permissive", {
        selector: { matchLabels: { "app.kubernetes.io/name": "vault" } },
        mtls: { mode: "PERMISSIVE" },
      }),
    ];
    const result = run("MP-MTLS-02", objects);
    assert.deepEqual(pairs(result), ["info PeerAuthentication vault/vault-permissive"]);
    assert.match(result.findings[0]!.message, /Inert today: it selects Deployment vault\/vault, which has no sidecar/);
  });

  it("warns about a STRICT policy on a pod without a sidecar", () => {
    const objects = [
      ...unmeshedApp("sre", "redis"),
      peerAuthentication("sre", "redis", { selector: { matchLabels: { app: "redis" } }, mtls: { mode: "STRICT" } }),
    ];
    const result = run("MP-MTLS-02", objects, plan());
    assert.deepEqual(pairs(result), ["warn PeerAuthentication sre/redis"]);
    assert.match(result.findings[0]!.message, /nothing is protected/);
  });

  it("passes a port-level key that a Service targets", () => {
    const policy = peerAuthentication("sre", "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    });
    const result = run("MP-MTLS-02", [...base, policy], plan());
    assert.deepEqual(pairs(result), ["pass PeerAuthentication sre/kernel"]);
  });

  it("flags a port-level key written as the Service port", () => {
    const policy = peerAuthentication("sre", "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      portLevelMtls: { "80": { mode: "PERMISSIVE" } },
    });
    const result = run("MP-MTLS-02", [...base, policy], plan());
    assert.deepEqual(pairs(result), ["warn PeerAuthentication sre/kernel"]);
    assert.match(result.findings[0]!.message, /key 80 is a Service port; the container port it targets is 8080/);
  });

  it("flags a port-level key no Service targets", () => {
    const policy = peerAuthentication("sre", "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      portLevelMtls: { "9999": { mode: "PERMISSIVE" } },
    });
    const result = run("MP-MTLS-02", [...base, policy], plan());
    assert.match(result.findings[0]!.message, /key 9999 is not a container port that any Service targets/);
  });

  it("flags a workload policy shadowed by an older one", () => {
    const older = peerAuthentication(
      "sre",
      "a-older",
      { selector: { matchLabels: { app: "kernel" } }, mtls: { mode: "STRICT" } },
      "2026-06-01T00:00:00Z",
    );
    const newer = peerAuthentication(
      "sre",
      "b-newer",
      { selector: { matchLabels: { app: "kernel" } }, mtls: { mode: "PERMISSIVE" } },
      "2026-06-20T00:00:00Z",
    );
    const result = run("MP-MTLS-02", [...base, older, newer], plan());
    assert.deepEqual(pairs(result), ["pass PeerAuthentication sre/a-older", "warn PeerAuthentication sre/b-newer"]);
  });

  it("passes when there is no PeerAuthentication at all", () => {
    const result = run("MP-MTLS-02", base, plan());
    assert.deepEqual(pairs(result), [`pass Namespace ${ROOT}`]);
  });
});

describe("MP-MTLS-03 plaintext callers from the cluster's structure", () => {
  const ingressController = () => [
    namespace("ingress-nginx"),
    ...deploymentWithPods({
      namespace: "ingress-nginx",
      name: "ingress-nginx-controller",
      templateLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
      serviceAccount: "ingress-nginx",
    }),
  ];
  const ingress = (ns: string, name: string, backend: string, annotations: Record<string, string> = {}) =>
    resource(
      "networking.k8s.io/v1",
      "Ingress",
      ns,
      name,
      {
        ingressClassName: "nginx",
        rules: [
          {
            host: `${name}.example.com`,
            http: {
              paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: backend, port: { number: 80 } } } }],
            },
          },
        ],
      },
      { annotations },
    );

  it("names ingress-nginx calling a meshed backend in plaintext", () => {
    const objects = [
      sreNamespace,
      permissiveSre,
      ...meshedApp("sre", "kernel"),
      ...ingressController(),
      ingress("sre", "kernel", "kernel"),
    ];
    const result = run("MP-MTLS-03", objects);
    const found = findingsOf(result, "Deployment sre/kernel");

    assert.equal(result.verdict, "warn");
    assert.equal(found.length, 1);
    assert.equal(found[0]!.verdict, "warn");
    assert.match(
      found[0]!.message,
      /^ingress-nginx \(Deployment ingress-nginx\/ingress-nginx-controller\) calls port 8080 in plaintext/,
    );
    assert.match(found[0]!.message, /Ingress sre\/kernel → Service sre\/kernel:80 → container port 8080/);
    assert.match(result.summary, /1 plaintext caller would break under STRICT: ingress-nginx → sre\/kernel:8080/);
    assert.equal(callersOf(result)[0]?.blocksStrict, true);
  });

  it("ignores an Ingress whose backend has no sidecar", () => {
    const objects = [
      sreNamespace,
      ...unmeshedApp("web", "website"),
      ...ingressController(),
      ingress("web", "website", "website"),
    ];
    const result = run("MP-MTLS-03", objects);
    assert.deepEqual(findingsOf(result, "Deployment web/website"), []);
  });

  it("ignores a meshed controller that sends to the Service", () => {
    const controller = ingressController().map((object) =>
      object.kind === "Pod"
        ? pod({
            namespace: "ingress-nginx",
            name: object.metadata.name,
            labels: object.metadata.labels,
            owner: "ReplicaSet/ingress-nginx-controller-abc12",
            sidecar: "classic",
          })
        : object,
    );
    const objects = [
      sreNamespace,
      permissiveSre,
      ...meshedApp("sre", "kernel"),
      ...controller,
      ingress("sre", "kernel", "kernel", { "nginx.ingress.kubernetes.io/service-upstream": "true" }),
    ];
    const result = run("MP-MTLS-03", objects);
    assert.deepEqual(findingsOf(result, "Deployment sre/kernel"), []);
  });

  it("fails a caller of a port that is STRICT today", () => {
    const objects = [
      sreNamespace,
      peerAuthentication("sre", "default", { mtls: { mode: "STRICT" } }),
      ...meshedApp("sre", "kernel"),
      ...ingressController(),
      ingress("sre", "kernel", "kernel"),
    ];
    const result = run("MP-MTLS-03", objects);
    assert.equal(findingsOf(result, "Deployment sre/kernel")[0]?.verdict, "fail");
  });

  it("does not block a port kept PERMISSIVE by a port-level exception", () => {
    const exception = peerAuthentication("sre", "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      portLevelMtls: { "8080": { mode: "PERMISSIVE" } },
    });
    const objects = [
      sreNamespace,
      permissiveSre,
      exception,
      ...meshedApp("sre", "kernel"),
      ...ingressController(),
      ingress("sre", "kernel", "kernel"),
    ];
    const result = run("MP-MTLS-03", objects);
    const found = findingsOf(result, "Deployment sre/kernel")[0];
    assert.equal(found?.verdict, "info");
    assert.match(found!.message, /stays PERMISSIVE after the flip because of PeerAuthentication sre\/kernel/);
  });

  it("names a ServiceMonitor that scrapes an app port", () => {
    const monitor = resource("monitoring.coreos.com/v1", "ServiceMonitor", "sre", "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      endpoints: [{ port: "http", path: "/metrics" }],
    });
    const objects = [sreNamespace, permissiveSre, ...meshedApp("sre", "kernel").map(labelService), monitor];
    const result = run("MP-MTLS-03", objects);
    const found = findingsOf(result, "Deployment sre/kernel")[0];
    assert.equal(found?.verdict, "warn");
    assert.match(found!.message, /^Prometheus, through ServiceMonitor sre\/kernel calls port 8080 in plaintext/);
  });

  it("ignores a ServiceMonitor on the merged 15020 port or with Istio certificates", () => {
    const kernel = [
      ...deploymentWithPods({ namespace: "sre", name: "kernel", sidecar: "classic", pods: [{ appPorts: [8080] }] }),
      labelService(
        service("sre", "kernel", { app: "kernel" }, [
          { port: 80, targetPort: 8080, name: "http" },
          { port: 15020, targetPort: 15020, name: "http-merged" },
        ]),
      ),
    ];
    const merged = resource("monitoring.coreos.com/v1", "ServiceMonitor", "sre", "merged", {
      selector: { matchLabels: { app: "kernel" } },
      endpoints: [{ port: "http-merged" }],
    });
    const withCerts = resource("monitoring.coreos.com/v1", "ServiceMonitor", "sre", "certs", {
      selector: { matchLabels: { app: "kernel" } },
      endpoints: [
        {
          port: "http",
          scheme: "https",
          tlsConfig: {
            caFile: "/etc/prom-certs/root-cert.pem",
            certFile: "/etc/prom-certs/cert-chain.pem",
            keyFile: "/etc/prom-certs/key.pem",
          },
        },
      ],
    });
    const result = run("MP-MTLS-03", [sreNamespace, permissiveSre, ...kernel, merged, withCerts]);
    assert.deepEqual(findingsOf(result, "Deployment sre/kernel"), []);
  });

  it("names a PodMonitor that scrapes an app port, and ignores one on 15090", () => {
    const kernel = meshedApp("sre", "kernel").map((object) =>
      object.kind === "Pod" ? namePort(object, "metrics", 9090) : object,
    );
    const appPort = resource("monitoring.coreos.com/v1", "PodMonitor", "sre", "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      podMetricsEndpoints: [{ port: "metrics" }],
    });
    const envoy = resource("monitoring.coreos.com/v1", "PodMonitor", "sre", "envoy", {
      selector: { matchLabels: { app: "kernel" } },
      podMetricsEndpoints: [{ port: "http-envoy-prom" }],
    });
    const result = run("MP-MTLS-03", [sreNamespace, permissiveSre, ...kernel, appPort, envoy]);
    const found = findingsOf(result, "Deployment sre/kernel");
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /PodMonitor sre\/kernel calls port 9090/);
  });

  it("names a prometheus.io annotation aimed at an app port, not one at 15020", () => {
    const appPort = meshedApp("sre", "kernel", 8080, {
      annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "9100" },
    });
    const merged = meshedApp("sre", "ai", 8080, {
      annotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "15020" },
    });
    const result = run("MP-MTLS-03", [sreNamespace, permissiveSre, ...appPort, ...merged]);
    assert.match(
      findingsOf(result, "Deployment sre/kernel")[0]!.message,
      /prometheus\.io\/scrape annotation calls port 9100/,
    );
    assert.deepEqual(findingsOf(result, "Deployment sre/ai"), []);
  });

  it("lists the secret operator calling unmeshed Vault as not blocking", () => {
    const operator = deploymentWithPods({
      namespace: "external-secrets",
      name: "external-secrets",
      templateLabels: { "app.kubernetes.io/name": "external-secrets" },
    });
    const store = resource("external-secrets.io/v1beta1", "ClusterSecretStore", undefined, "vault-backend", {
      provider: { vault: { server: "http://vault.vault.svc.cluster.local:8200" } },
    });
    const objects = [
      ...operator,
      store,
      namespace("vault"),
      ...unmeshedApp("vault", "vault", 8200, { "app.kubernetes.io/name": "vault" }),
      peerAuthentication("vault", "vault-permissive", {
        selector: { matchLabels: { "app.kubernetes.io/name": "vault" } },
        mtls: { mode: "PERMISSIVE" },
      }),
    ];
    const result = run("MP-MTLS-03", objects, strictPlan({ unmeshedClients: [{ namespace: "external-secrets" }] }));
    const found = findingsOf(result, "Deployment vault/vault");

    assert.equal(found.length, 1);
    assert.equal(found[0]!.verdict, "info");
    assert.match(
      found[0]!.message,
      /^the External Secrets Operator \(Deployment external-secrets\/external-secrets\) calls port 8200 in plaintext/,
    );
    assert.match(
      found[0]!.message,
      /Not blocking: vault has no sidecar, so STRICT cannot affect it\. Its exception PeerAuthentication vault\/vault-permissive is inert until vault is meshed/,
    );
    assert.deepEqual(findingsOf(result, "Namespace external-secrets"), []);
  });

  it("blocks the secret operator once Vault is meshed without an exception", () => {
    const operator = deploymentWithPods({
      namespace: "external-secrets",
      name: "external-secrets",
      templateLabels: { "app.kubernetes.io/name": "external-secrets" },
    });
    const store = resource("external-secrets.io/v1beta1", "SecretStore", "vault", "vault", {
      provider: { vault: { server: "https://vault:8200" } },
    });
    const objects = [
      ...operator,
      store,
      ...meshedApp("vault", "vault", 8200).map((object) =>
        object.kind === "Service"
          ? service("vault", "vault", { app: "vault" }, [{ port: 8200, targetPort: 8200 }])
          : object,
      ),
    ];
    const result = run("MP-MTLS-03", objects);
    assert.equal(findingsOf(result, "Deployment vault/vault")[0]?.verdict, "warn");
  });

  it("names kubelet probes not rewritten", () => {
    const kernel = withProbe(
      meshedApp("sre", "kernel", 8080, { annotations: { "sidecar.istio.io/rewriteAppHTTPProbers": "false" } }),
      "kernel-abc12-p0",
      { httpGet: { path: "/ready", port: 8080 } },
    );
    const rewritten = withProbe(meshedApp("sre", "ai"), "ai-abc12-p0", {
      httpGet: { path: "/app-health/app/readyz", port: 15020 },
    });
    const exec = withProbe(meshedApp("sre", "sas"), "sas-abc12-p0", { exec: { command: ["true"] } });
    const result = run("MP-MTLS-03", [sreNamespace, permissiveSre, ...kernel, ...rewritten, ...exec]);

    const found = findingsOf(result, "Deployment sre/kernel")[0];
    assert.equal(found?.verdict, "warn");
    assert.match(found!.message, /^the kubelet \(readinessProbe of container app\) calls port 8080 in plaintext/);
    assert.match(found!.message, /sidecar\.istio\.io\/rewriteAppHTTPProbers: "false"/);
    assert.deepEqual(findingsOf(result, "Deployment sre/ai"), []);
    assert.deepEqual(findingsOf(result, "Deployment sre/sas"), []);
  });

  it("warns about a port left out of capture", () => {
    const kernel = meshedApp("sre", "kernel", 8080, {
      annotations: { "traffic.sidecar.istio.io/excludeInboundPorts": "8080" },
    });
    const result = run("MP-MTLS-03", [sreNamespace, permissiveSre, ...kernel, ...meshedApp("sre", "ai")]);
    const found = findingsOf(result, "Deployment sre/kernel")[0];
    assert.equal(found?.verdict, "warn");
    assert.match(found!.message, /STRICT will not protect this port/);
    assert.deepEqual(findingsOf(result, "Deployment sre/ai"), []);
  });

  it("warns about a hostNetwork pod in a mesh namespace only", () => {
    const agent = deploymentWithPods({
      namespace: "sre",
      name: "node-agent",
      hostNetwork: true,
      pods: [{ hostNetwork: true }],
    });
    const elsewhere = deploymentWithPods({
      namespace: "monitoring",
      name: "node-exporter",
      hostNetwork: true,
      pods: [{ hostNetwork: true }],
    });
    const result = run("MP-MTLS-03", [
      sreNamespace,
      permissiveSre,
      ...meshedApp("sre", "kernel"),
      ...agent,
      ...elsewhere,
    ]);
    assert.equal(findingsOf(result, "Deployment sre/node-agent")[0]?.verdict, "warn");
    assert.deepEqual(findingsOf(result, "Deployment monitoring/node-exporter"), []);
  });

  it("is unknown about Ingresses that could not be read", () => {
    const issue = (reason: "forbidden" | "not-found") => ({
      collectionIssues: [
        { resource: "ingresses.networking.k8s.io", reason, message: `cannot list ingresses: ${reason}` },
      ],
    });
    const objects = [sreNamespace, ...meshedApp("sre", "kernel")];
    const forbidden = runCheck(check("MP-MTLS-03"), modelOf(objects, strictPlan(), issue("forbidden")), strictPlan());
    const absent = runCheck(check("MP-MTLS-03"), modelOf(objects, strictPlan(), issue("not-found")), strictPlan());

    assert.equal(findingsOf(forbidden, "Resource ingresses.networking.k8s.io")[0]?.verdict, "unknown");
    assert.equal(forbidden.verdict, "unknown");
    assert.deepEqual(findingsOf(absent, "Resource ingresses.networking.k8s.io"), []);
  });

  it("lists a plan client namespace whose targets the objects do not show", () => {
    const result = run(
      "MP-MTLS-03",
      [sreNamespace, ...meshedApp("sre", "kernel"), namespace("batch")],
      strictPlan({ unmeshedClients: [{ namespace: "batch", description: "nightly jobs" }] }),
    );
    assert.equal(findingsOf(result, "Namespace batch")[0]?.verdict, "info");
  });
});

describe("MP-MTLS-03 plaintext callers from Prometheus", () => {
  const objects = [sreNamespace, permissiveSre, ...meshedApp("sre", "kernel")];
  const telemetry = (result: CheckResult) =>
    result.findings.find((finding) => finding.subject.startsWith("Prometheus"));

  it("skips the telemetry part when no Prometheus was given", () => {
    const result = run("MP-MTLS-03", objects);
    assert.equal(telemetry(result)?.verdict, "skip");
    assert.equal(telemetry(result)?.subject, "Prometheus (not given)");
    assert.equal((result.facts?.telemetry as { status: string } | undefined)?.status, "not-collected");
  });

  it("passes with mTLS-only traffic, the positive control", () => {
    const evidence = [
      promEvidence("requests", [series("sre/kernel", "sre/ai", "mutual_tls", 120)]),
      promEvidence("tcp-connections", []),
    ];
    const result = run("MP-MTLS-03", objects, strictPlan(), evidence);
    assert.equal(result.verdict, "pass");
    assert.equal(telemetry(result)?.verdict, "pass");
    assert.match(
      telemetry(result)!.message,
      /0 plaintext series and 1 mTLS series \(the positive control\) in the last 24h/,
    );
  });

  it("names the destination of plaintext from an unknown source", () => {
    const evidence = [
      promEvidence("requests", [
        series("sre/kernel", "unknown/unknown", "none", 42),
        series("sre/kernel", "sre/ai", "mutual_tls", 10),
      ]),
      promEvidence("tcp-connections", []),
    ];
    const result = run("MP-MTLS-03", objects, strictPlan(), evidence);
    const found = findingsOf(result, "Deployment sre/kernel")[0];
    assert.equal(found?.verdict, "warn");
    assert.match(found!.message, /^a caller without a sidecar \(source_workload="unknown"/);
    assert.match(
      found!.message,
      /istio_requests_total\{reporter="destination",connection_security_policy="none",source_workload="unknown"\} rose by 42 in 24h/,
    );
  });

  it("is unknown when there are no Istio series", () => {
    const result = run("MP-MTLS-03", objects, strictPlan(), [
      promEvidence("requests", []),
      promEvidence("tcp-connections", []),
    ]);
    assert.equal(result.verdict, "unknown");
    assert.match(telemetry(result)!.message, /no samples is not the same as no plaintext/);
  });

  it("is unknown when no series shows mTLS", () => {
    const result = run("MP-MTLS-03", objects, strictPlan(), [
      promEvidence("requests", [series("sre/kernel", "sre/ai", "mutual_tls", 0)]),
      promEvidence("tcp-connections", []),
    ]);
    assert.equal(telemetry(result)?.verdict, "unknown");
    assert.match(telemetry(result)!.message, /positive control is missing/);
  });

  it("is unknown when a query failed", () => {
    const result = run("MP-MTLS-03", objects, strictPlan(), [
      promEvidence("requests", [], { reason: "unreachable", message: "connection refused" }),
      promEvidence("tcp-connections", []),
    ]);
    assert.equal(telemetry(result)?.verdict, "unknown");
    assert.match(telemetry(result)!.message, /connection refused/);
  });

  it("warns when the window is shorter than an ExternalSecret refresh", () => {
    const secret = resource("external-secrets.io/v1beta1", "ExternalSecret", "sre", "db", { refreshInterval: "48h" });
    const evidence = [
      promEvidence("requests", [series("sre/kernel", "sre/ai", "mutual_tls", 120)]),
      promEvidence("tcp-connections", []),
    ];
    const result = run("MP-MTLS-03", [...objects, secret], strictPlan(), evidence);
    assert.equal(telemetry(result)?.verdict, "warn");
    assert.match(telemetry(result)!.message, /shorter than the refreshInterval 48h of ExternalSecret sre\/db/);
  });
});

describe("MP-MTLS-04 client-side conflicts", () => {
  const dr = (ns: string, name: string, host: string, mode: string, extra: Record<string, unknown> = {}) =>
    resource("networking.istio.io/v1", "DestinationRule", ns, name, {
      host,
      trafficPolicy: { tls: { mode } },
      ...extra,
    });

  it("fails ISTIO_MUTUAL toward pods without a sidecar and passes it toward meshed pods", () => {
    const objects = [
      ...unmeshedApp("sre", "redis", 6379),
      ...meshedApp("sre", "kernel"),
      dr("sre", "redis", "redis", "ISTIO_MUTUAL"),
      dr("sre", "kernel", "kernel.sre.svc.cluster.local", "ISTIO_MUTUAL"),
    ];
    const result = run("MP-MTLS-04", objects);
    assert.equal(findingsOf(result, "DestinationRule sre/redis")[0]?.verdict, "fail");
    assert.match(findingsOf(result, "DestinationRule sre/redis")[0]!.message, /Deployment sre\/redis has no sidecar/);
    assert.equal(findingsOf(result, "DestinationRule sre/kernel")[0]?.verdict, "pass");
  });

  it("fails SIMPLE toward a database that negotiates its own TLS, and passes DISABLE", () => {
    const host = "db.example.com";
    const withPlan = strictPlan({
      externalServices: [{ name: "pg", host, protocol: "postgres", ports: [{ number: 25060, inUse: "yes" }] }],
    });
    const entry = resource("networking.istio.io/v1", "ServiceEntry", "sre", "pg", {
      hosts: [host],
      ports: [{ number: 25060, name: "tcp-postgres", protocol: "TCP" }],
    });
    const simple = run("MP-MTLS-04", [entry, dr("sre", "pg", host, "SIMPLE")], withPlan);
    const disable = run("MP-MTLS-04", [entry, dr("sre", "pg", host, "DISABLE")], withPlan);
    assert.equal(findingsOf(simple, "DestinationRule sre/pg")[0]?.verdict, "fail");
    assert.match(
      findingsOf(simple, "DestinationRule sre/pg")[0]!.message,
      /postgres negotiates TLS inside its own protocol/,
    );
    assert.equal(findingsOf(disable, "DestinationRule sre/pg")[0]?.verdict, "pass");
  });

  it("fails SIMPLE toward an in-cluster Service port named for Postgres", () => {
    const objects = [
      ...deploymentWithPods({ namespace: "sre", name: "pg" }),
      service("sre", "pg", { app: "pg" }, [{ port: 5432, name: "tcp-postgres" }]),
      dr("sre", "pg", "pg", "SIMPLE"),
    ];
    const result = run("MP-MTLS-04", objects);
    assert.match(
      findingsOf(result, "DestinationRule sre/pg")[0]!.message,
      /Service port 5432 \(tcp-postgres\) negotiates TLS/,
    );
  });

  it("fails a root-namespace rule for every host, not one in an app namespace", () => {
    const result = run("MP-MTLS-04", [dr(ROOT, "all", "*", "ISTIO_MUTUAL"), dr("sre", "all", "*", "ISTIO_MUTUAL")]);
    assert.equal(findingsOf(result, `DestinationRule ${ROOT}/all`)[0]?.verdict, "fail");
    assert.equal(findingsOf(result, "DestinationRule sre/all")[0]?.verdict, "pass");
  });

  it("judges DISABLE toward a meshed service", () => {
    const strictBound = run("MP-MTLS-04", [
      sreNamespace,
      permissiveSre,
      ...meshedApp("sre", "kernel"),
      dr("sre", "kernel", "kernel", "DISABLE"),
    ]);
    assert.equal(findingsOf(strictBound, "DestinationRule sre/kernel")[0]?.verdict, "fail");

    const exception = peerAuthentication("sre", "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      mtls: { mode: "PERMISSIVE" },
    });
    const exempted = run("MP-MTLS-04", [
      sreNamespace,
      permissiveSre,
      exception,
      ...meshedApp("sre", "kernel"),
      dr("sre", "kernel", "kernel", "DISABLE"),
    ]);
    assert.equal(findingsOf(exempted, "DestinationRule sre/kernel")[0]?.verdict, "info");
  });

  it("warns about ports REGISTRY_ONLY would cut", () => {
    const host = "db.example.com";
    const withPlan = strictPlan({
      externalServices: [
        {
          name: "pg",
          host,
          protocol: "postgres",
          ports: [
            { number: 25060, inUse: "yes" },
            { number: 25061, inUse: "unknown" },
          ],
        },
      ],
    });
    const entry = (ports: number[]) =>
      resource("networking.istio.io/v1", "ServiceEntry", "sre", "pg", {
        hosts: [host],
        ports: ports.map((number) => ({ number, protocol: "TCP" })),
      });
    const missing = run("MP-MTLS-04", [entry([25060])], withPlan);
    const declared = run("MP-MTLS-04", [entry([25060, 25061])], withPlan);
    const subject = `ConfigMap ${ROOT}/istio`;

    assert.equal(findingsOf(missing, subject)[0]?.verdict, "warn");
    assert.match(findingsOf(missing, subject)[0]!.message, /would cut db\.example\.com:25061 \(inUse unknown\)/);
    assert.equal(findingsOf(declared, subject)[0]?.verdict, "pass");
  });

  it("fails undeclared external ports under REGISTRY_ONLY", () => {
    const withPlan = strictPlan({
      externalServices: [
        { name: "pg", host: "db.example.com", protocol: "postgres", ports: [{ number: 25060, inUse: "yes" }] },
      ],
    });
    const result = run("MP-MTLS-04", [meshConfigMap("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")], withPlan);
    assert.equal(findingsOf(result, `ConfigMap ${ROOT}/istio`)[0]?.verdict, "fail");
  });

  it("warns about PassthroughCluster traffic seen in telemetry", () => {
    const passthrough = promEvidence("passthrough", [
      {
        labels: {
          source_workload_namespace: "sre",
          source_workload: "kernel",
          destination_service_name: "PassthroughCluster",
        },
        value: 12,
      },
    ]);
    const result = run("MP-MTLS-04", [], strictPlan(), [passthrough]);
    assert.match(
      findingsOf(result, `ConfigMap ${ROOT}/istio`)[0]!.message,
      /the PassthroughCluster traffic of sre\/kernel/,
    );
  });
});

describe("MP-AUTHZ-01 identity readiness", () => {
  const serviceAccount = (ns: string, name: string): KubeObject => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace: ns },
  });
  const policy = (principals: string[], extra: Record<string, unknown> = {}) =>
    resource("security.istio.io/v1", "AuthorizationPolicy", "sre", "kernel", {
      selector: { matchLabels: { app: "kernel" } },
      rules: [{ from: [{ source: { principals } }] }],
      ...extra,
    });
  const trustDomain = meshConfigMap("trustDomain: insignia.tech\ntrustDomainAliases: [old.example]\n");

  it("warns about a shared ServiceAccount and passes a workload with its own", () => {
    const objects = [
      trustDomain,
      ...meshedApp("sre", "kernel"),
      ...meshedApp("sre", "ai"),
      ...deploymentWithPods({ namespace: "sre", name: "sas", sidecar: "classic", serviceAccount: "sas" }),
    ];
    const result = run("MP-AUTHZ-01", objects);
    assert.deepEqual(pairs(result), ["warn ServiceAccount sre/default", "pass Deployment sre/sas"]);
    assert.match(
      result.findings[0]!.message,
      /2 meshed workloads share this ServiceAccount and so one identity, spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/default as the policy contract expects: ai, kernel/,
    );
  });

  it("fails when the policy contract expects another caller ID", () => {
    const result = run(
      "MP-AUTHZ-01",
      [trustDomain, ...meshedApp("sre", "kernel")],
      strictPlan({ callerIdTemplate: "spiffe://{trustDomain}/{namespace}/{serviceAccount}" }),
    );
    assert.equal(result.findings[0]?.verdict, "fail");
    assert.match(
      result.findings[0]!.message,
      /expects caller ID spiffe:\/\/insignia\.tech\/sre\/default, but the sidecars of kernel present spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/default/,
    );
  });

  it("warns about an unknown placeholder in the caller ID template", () => {
    const result = run(
      "MP-AUTHZ-01",
      [trustDomain, ...meshedApp("sre", "kernel")],
      strictPlan({ callerIdTemplate: "spiffe://{trustDomain}/ns/{namespace}/sa/{serviceAccount}/{workload}" }),
    );
    assert.equal(result.findings[0]?.verdict, "warn");
    assert.match(result.findings[0]!.message, /placeholder meshproof does not know/);
  });

  it("judges principal trust domains", () => {
    const objects = [trustDomain, ...meshedApp("sre", "kernel"), serviceAccount("sre", "ai"), namespace("sre")];
    const bad = run("MP-AUTHZ-01", [
      ...objects,
      policy(["spiffe://insignia.tech/ns/sre/sa/ai", "other.example/ns/sre/sa/ai"]),
    ]);
    const good = run("MP-AUTHZ-01", [
      ...objects,
      policy(["cluster.local/ns/sre/sa/ai", "old.example/ns/sre/sa/ai", "insignia.tech/ns/sre/sa/ai"]),
    ]);
    const subject = "AuthorizationPolicy sre/kernel";

    assert.deepEqual(
      findingsOf(bad, subject).map((finding) => finding.verdict),
      ["fail", "fail"],
    );
    assert.match(findingsOf(bad, subject)[0]!.message, /starts with spiffe:\/\//);
    assert.match(findingsOf(bad, subject)[1]!.message, /trust domain other\.example/);
    assert.deepEqual(
      findingsOf(good, subject).map((finding) => finding.verdict),
      ["pass"],
    );
  });

  it("judges principals naming missing ServiceAccounts", () => {
    const objects = [trustDomain, ...meshedApp("sre", "kernel"), policy(["insignia.tech/ns/sre/sa/ghost"])];
    const known = run("MP-AUTHZ-01", [...objects, serviceAccount("sre", "ai")]);
    const unknown = run("MP-AUTHZ-01", objects);
    assert.equal(findingsOf(known, "AuthorizationPolicy sre/kernel")[0]?.verdict, "warn");
    assert.equal(findingsOf(unknown, "AuthorizationPolicy sre/kernel")[0]?.verdict, "unknown");
  });

  it("warns about ALLOW by principal on a workload that still has plaintext callers", () => {
    const kernel = withProbe(
      meshedApp("sre", "kernel", 8080, { annotations: { "sidecar.istio.io/rewriteAppHTTPProbers": "false" } }),
      "kernel-abc12-p0",
      { tcpSocket: { port: 8080 } },
    );
    const objects = [
      trustDomain,
      permissiveSre,
      ...kernel,
      serviceAccount("sre", "ai"),
      policy(["insignia.tech/ns/sre/sa/ai"]),
    ];
    const withCaller = run("MP-AUTHZ-01", objects);
    const denyPolicy = run("MP-AUTHZ-01", [
      ...objects.slice(0, -1),
      policy(["insignia.tech/ns/sre/sa/ai"], { action: "DENY" }),
    ]);
    assert.match(
      findingsOf(withCaller, "AuthorizationPolicy sre/kernel")[0]!.message,
      /ALLOW by principal, while plaintext callers still reach the workloads it selects: the kubelet → Deployment sre\/kernel:8080/,
    );
    assert.equal(findingsOf(denyPolicy, "AuthorizationPolicy sre/kernel")[0]?.verdict, "pass");
  });
});

/** Adds the Service's app label to its metadata, as Helm charts do, so ServiceMonitor selectors match it. */
function labelService(object: KubeObject): KubeObject {
  if (object.kind !== "Service") return object;
  return { ...object, metadata: { ...object.metadata, labels: { app: object.spec?.selector?.app } } };
}

function namePort(object: KubeObject, name: string, port: number): KubeObject {
  const copy = structuredClone(object) as Pod;
  const app = copy.spec?.containers?.find((container) => container.name === "app");
  if (app) app.ports = [...(app.ports ?? []), { name, containerPort: port }];
  return copy;
}
