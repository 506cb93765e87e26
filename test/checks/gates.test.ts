import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gateChecksFor } from "../../src/checks/gates.js";
import { mtlsChecks } from "../../src/checks/mtls.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import type { PrometheusEvidence } from "../../src/collect/types.js";
import type { KubeObject } from "../../src/model/kube.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runVerification } from "../../src/run/run.js";
import {
  deploymentWithPods,
  meshConfigMap,
  namespace,
  peerAuthentication,
  plan,
  pod,
  resource,
  service,
  stateOf,
  workload,
} from "../support/builders.js";

const sre = namespace("sre", { "istio-injection": "enabled" });
const clusterSpiffeId = (namespaces: string[]) =>
  resource("spire.spiffe.io/v1alpha1", "ClusterSPIFFEID", undefined, "spire-istio", {
    spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
    namespaceSelector: {
      matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: namespaces }],
    },
    podSelector: { matchLabels: { "security.istio.io/tlsMode": "istio" } },
  });

/** Builds a check that publishes one finding for a subject, in place of another family's check. */
function stubCheck(
  id: string,
  category: CheckDefinition["category"],
  subject: string,
  message: string,
  verdict: CheckResult["verdict"] = "info",
): CheckDefinition {
  return {
    id,
    category,
    title: id,
    proves: "",
    reads: [],
    run: () => ({ summary: message, findings: [{ subject, verdict, message }], evidence: [] }),
  };
}

function runGates(
  objects: KubeObject[],
  withPlan: RolloutPlan,
  options: { evidence?: PrometheusEvidence[]; extra?: CheckDefinition[] } = {},
) {
  const { result } = runVerification({
    state: stateOf(objects, { evidence: options.evidence ?? [] }),
    plan: withPlan,
    checks: [...(options.extra ?? []), ...mtlsChecks, ...gateChecksFor(withPlan)],
    generatedAt: "2026-06-28T21:41:00Z",
  });
  return result;
}

function gate(result: { checks: CheckResult[] }, phaseId: string): CheckResult {
  const found = result.checks.find((check) => check.id === `MP-GATE-${phaseId}`);
  assert.ok(found, `gate ${phaseId} missing`);
  return found;
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

describe("gateChecksFor", () => {
  it("builds one gate per next phase, in plan order", () => {
    const withPlan = plan({
      phases: {
        current: { id: "apps", mtls: "PERMISSIVE" },
        next: [
          { id: "mesh-workers", type: "mesh-workloads", workloads: [] },
          { id: "mesh-ingress", type: "mesh-ingress" },
          { id: "strict", type: "strict" },
        ],
      },
    });
    assert.deepEqual(
      gateChecksFor(withPlan).map((check) => check.id),
      ["MP-GATE-mesh-workers", "MP-GATE-mesh-ingress", "MP-GATE-strict"],
    );
    assert.ok(gateChecksFor(withPlan).every((check) => check.category === "phase-gates" && check.requiresPlan));
  });

  it("builds none without a plan", () => {
    assert.deepEqual(gateChecksFor(undefined), []);
  });
});

describe("mesh-workloads gate", () => {
  const workersPlan = (workloads: Array<{ namespace: string; name: string }>, spec: Record<string, unknown> = {}) =>
    plan({
      phases: {
        current: { id: "apps", mtls: "PERMISSIVE" },
        next: [{ id: "mesh-workers", type: "mesh-workloads", workloads }],
      },
      ...spec,
    });
  const worker = (
    options: {
      name?: string;
      ns?: string;
      restarts?: number;
      optOut?: boolean;
      hostNetwork?: boolean;
      env?: Array<{ name: string; value: string }>;
      labels?: Record<string, string>;
    } = {},
  ) => {
    const name = options.name ?? "projection-worker";
    const templateLabels = {
      ...(options.optOut === false ? {} : { "sidecar.istio.io/inject": "false" }),
      ...(options.labels ?? {}),
    };
    const objects = deploymentWithPods({
      namespace: options.ns ?? "sre",
      name,
      templateLabels,
      hostNetwork: options.hostNetwork,
      createdAt: "2026-04-28T10:12:40Z",
      pods: [
        {
          restarts: options.restarts ?? 0,
          createdAt: "2026-06-14T09:12:00Z",
          env: options.env,
          hostNetwork: options.hostNetwork,
        },
      ],
    });
    if (options.env) {
      const deployment = objects[0] as KubeObject;
      deployment.spec.template.spec.containers[0].env = options.env;
    }
    return objects;
  };

  it("names the crash-looping worker and says its namespace is covered by SPIRE registration", () => {
    const withPlan = workersPlan([{ namespace: "sre", name: "projection-worker" }]);
    const result = runGates([sre, clusterSpiffeId(["sre"]), ...worker({ restarts: 29 })], withPlan);
    const workers = gate(result, "mesh-workers");
    const loop = workers.findings.find((finding) => finding.verdict === "fail");

    assert.equal(workers.verdict, "fail");
    assert.equal(loop?.subject, "Deployment sre/projection-worker");
    assert.match(
      loop!.message,
      /^projection-worker is crash-looping \(29 restarts\); fix it or leave it out of the phase/,
    );
    assert.match(loop!.message, /before the window opened, and has no sidecar, so the loop predates the rollout/);
    assert.match(
      loop!.message,
      /Its namespace sre is covered by SPIRE registration: ClusterSPIFFEID spire-istio selects its pods once injected/,
    );
    assert.match(
      workers.summary,
      /^NO-GO: 1 blocking finding: projection-worker is crash-looping \(29 restarts\): fix it or leave it out of the phase \(SPIRE registration already covers namespace sre\)/,
    );
  });

  it("quotes the workload-health finding on the crash-looping pod", () => {
    const withPlan = workersPlan([{ namespace: "sre", name: "projection-worker" }]);
    const health = stubCheck(
      "MP-HEALTH-02",
      "workload-health",
      "Pod sre/projection-worker-abc12-p0",
      "pre-existing: created before the window opened. More detail.",
    );
    const result = runGates([sre, clusterSpiffeId(["sre"]), ...worker({ restarts: 29 })], withPlan, {
      extra: [health],
    });
    const loop = gate(result, "mesh-workers").findings.find((finding) => finding.verdict === "fail");
    assert.match(loop!.message, /MP-HEALTH-02: pre-existing: created before the window opened\./);
    assert.doesNotMatch(loop!.message, /More detail/);
  });

  it("is GO for a healthy, covered worker whose opt-out label the phase removes", () => {
    const withPlan = workersPlan([{ namespace: "sre", name: "projection-worker" }]);
    const result = gate(runGates([sre, clusterSpiffeId(["sre"]), ...worker()], withPlan), "mesh-workers");

    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), ["warn Deployment sre/projection-worker", "pass Deployment sre/projection-worker"]);
    assert.match(
      result.findings[0]!.message,
      /opts out with label sidecar\.istio\.io\/inject="false"; the phase must remove that label \(then namespace sre has istio-injection=enabled\)/,
    );
    assert.equal(result.summary, "GO: every precondition holds; 1 to sign off.");
  });

  it("blocks a worker no ClusterSPIFFEID would register", () => {
    const withPlan = workersPlan([{ namespace: "sre", name: "projection-worker" }]);
    const result = gate(runGates([sre, clusterSpiffeId(["apps"]), ...worker()], withPlan), "mesh-workers");
    const blocking = result.findings.filter((finding) => finding.verdict === "fail");
    assert.equal(blocking.length, 1);
    assert.match(blocking[0]!.message, /Its namespace sre is not covered by SPIRE registration/);
  });

  it("blocks a worker the injector would not select even without its opt-out", () => {
    const withPlan = workersPlan([{ namespace: "jobs", name: "projection-worker" }]);
    const result = gate(
      runGates([namespace("jobs"), clusterSpiffeId(["jobs"]), ...worker({ ns: "jobs" })], withPlan),
      "mesh-workers",
    );
    assert.match(
      result.findings.find((finding) => finding.verdict === "fail")!.message,
      /The injector would not select it even without an opt-out label/,
    );
  });

  it("blocks a datastore and a hostNetwork workload", () => {
    const withPlan = workersPlan(
      [
        { namespace: "sre", name: "redis" },
        { namespace: "sre", name: "agent" },
      ],
      { datastores: [{ name: "redis", selector: { matchLabels: { "app.kubernetes.io/name": "redis" } } }] },
    );
    const objects = [
      sre,
      clusterSpiffeId(["sre"]),
      ...worker({ name: "redis", labels: { "app.kubernetes.io/name": "redis" } }),
      ...worker({ name: "agent", hostNetwork: true }),
    ];
    const result = gate(runGates(objects, withPlan), "mesh-workers");
    const blocking = result.findings.filter((finding) => finding.verdict === "fail").map((finding) => finding.message);
    assert.ok(blocking.some((message) => /would mesh the redis datastore/.test(message)));
    assert.ok(blocking.some((message) => /Runs with hostNetwork/.test(message)));
  });

  it("is UNDECIDED when a named workload is not in the objects", () => {
    const withPlan = workersPlan([{ namespace: "sre", name: "ghost" }]);
    const result = gate(runGates([sre, clusterSpiffeId(["sre"])], withPlan), "mesh-workers");
    assert.equal(result.verdict, "unknown");
    assert.deepEqual(pairs(result), ["unknown Deployment sre/ghost"]);
  });

  it("judges exportTo and undeclared ports", () => {
    const host = "db.example.com";
    const withPlan = workersPlan([{ namespace: "workers", name: "projection-worker" }], {
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
    const entry = resource("networking.istio.io/v1", "ServiceEntry", "sre", "pg", {
      hosts: [host],
      exportTo: ["."],
      ports: [{ number: 25060, protocol: "TCP" }],
    });
    const objects = [
      namespace("workers", { "istio-injection": "enabled" }),
      clusterSpiffeId(["workers"]),
      entry,
      ...worker({ ns: "workers", env: [{ name: "DATABASE_URL", value: `postgresql://app:hunter2@${host}:25061/db` }] }),
    ];
    const result = gate(runGates(objects, withPlan), "mesh-workers");
    const exported = result.findings.find((finding) => finding.subject === "ServiceEntry sre/pg");
    const port = result.findings.find((finding) => /25061/.test(finding.message));

    assert.equal(exported?.verdict, "fail");
    assert.match(exported!.message, /exportTo \["\."\] does not include namespace workers/);
    assert.equal(port?.verdict, "warn");
    assert.match(port!.message, /Calls db\.example\.com:25061 \(env DATABASE_URL\), a port no ServiceEntry declares/);
    assert.ok(result.findings.every((finding) => !finding.message.includes("hunter2")));
  });

  it("notes a hidden ServiceEntry the worker does not name", () => {
    const host = "db.example.com";
    const withPlan = workersPlan([{ namespace: "workers", name: "projection-worker" }], {
      externalServices: [{ name: "pg", host, protocol: "postgres", ports: [{ number: 25060, inUse: "yes" }] }],
    });
    const entry = resource("networking.istio.io/v1", "ServiceEntry", "sre", "pg", {
      hosts: [host],
      exportTo: ["."],
      ports: [{ number: 25060, protocol: "TCP" }],
    });
    const objects = [
      namespace("workers", { "istio-injection": "enabled" }),
      clusterSpiffeId(["workers"]),
      entry,
      ...worker({ ns: "workers" }),
    ];
    const result = gate(runGates(objects, withPlan), "mesh-workers");
    const exported = result.findings.find((finding) => finding.subject === "ServiceEntry sre/pg");

    assert.equal(exported?.verdict, "info");
    assert.match(exported!.message, /do not name db\.example\.com, but values in Secrets were not read/);
    assert.equal(result.verdict, "pass");
  });

  it("passes external services visible in the worker namespace on declared ports", () => {
    const host = "db.example.com";
    const withPlan = workersPlan([{ namespace: "sre", name: "projection-worker" }], {
      externalServices: [{ name: "pg", host, protocol: "postgres", ports: [{ number: 25060, inUse: "yes" }] }],
    });
    const entry = resource("networking.istio.io/v1", "ServiceEntry", "sre", "pg", {
      hosts: [host],
      exportTo: ["."],
      ports: [{ number: 25060, protocol: "TCP" }],
    });
    const objects = [
      sre,
      clusterSpiffeId(["sre"]),
      entry,
      ...worker({
        env: [
          { name: "DB_HOST", value: host },
          { name: "DB_PORT", value: "25060" },
        ],
      }),
    ];
    const result = gate(runGates(objects, withPlan), "mesh-workers");
    assert.ok(
      result.findings.some(
        (finding) => finding.verdict === "pass" && /Calls db\.example\.com on declared ports/.test(finding.message),
      ),
    );
  });

  it("publishes what the next step waits on from the first gate only", () => {
    const withPlan = plan({
      phases: {
        current: { id: "apps", mtls: "PERMISSIVE" },
        next: [
          { id: "mesh-workers", type: "mesh-workloads", workloads: [{ namespace: "sre", name: "projection-worker" }] },
          { id: "strict", type: "strict" },
        ],
      },
    });
    const result = runGates([sre, clusterSpiffeId(["sre"]), ...worker({ restarts: 29 })], withPlan);
    assert.deepEqual(gate(result, "mesh-workers").facts?.nextStepWaitsOn, [
      "mesh-workers: projection-worker is crash-looping (29 restarts): fix it or leave it out of the phase (SPIRE registration already covers namespace sre)",
    ]);
    assert.equal(gate(result, "strict").facts?.nextStepWaitsOn, undefined);
    assert.deepEqual(result.banner.nextStepWaitsOn, gate(result, "mesh-workers").facts?.nextStepWaitsOn);
  });
});

describe("mesh-ingress gate", () => {
  const ingressPlan = plan({
    phases: { current: { id: "apps", mtls: "PERMISSIVE" }, next: [{ id: "mesh-ingress", type: "mesh-ingress" }] },
    ingress: { namespace: "ingress-nginx", workload: "Deployment ingress-nginx/ingress-nginx-controller" },
  });
  const controller = (options: { hostNetwork?: boolean; annotations?: Record<string, string> } = {}) =>
    deploymentWithPods({
      namespace: "ingress-nginx",
      name: "ingress-nginx-controller",
      serviceAccount: "ingress-nginx",
      hostNetwork: options.hostNetwork,
      templateAnnotations: options.annotations ?? { "traffic.sidecar.istio.io/includeInboundPorts": "" },
      templateLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
      pods: [{ nodeName: "node-1", hostNetwork: options.hostNetwork }],
    });
  const spire = (nodes: string[]) => [
    workload({ namespace: "spire-system", name: "spire-agent", kind: "DaemonSet" }),
    workload({ namespace: "spire-system", name: "spire-spiffe-csi-driver", kind: "DaemonSet" }),
    ...nodes.flatMap((node) => [
      pod({ namespace: "spire-system", name: `spire-agent-${node}`, owner: "DaemonSet/spire-agent", nodeName: node }),
      pod({
        namespace: "spire-system",
        name: `spire-spiffe-csi-driver-${node}`,
        owner: "DaemonSet/spire-spiffe-csi-driver",
        nodeName: node,
      }),
    ]),
  ];
  const backend = () => [
    sre,
    ...deploymentWithPods({ namespace: "sre", name: "kernel", sidecar: "classic", pods: [{ appPorts: [8080] }] }),
    service("sre", "kernel", { app: "kernel" }, [{ port: 80, targetPort: 8080, name: "http" }]),
  ];
  const ingress = (annotations: Record<string, string>, ns = "sre", name = "kernel") =>
    resource(
      "networking.k8s.io/v1",
      "Ingress",
      ns,
      name,
      {
        ingressClassName: "nginx",
        rules: [
          {
            host: "kernel.example.com",
            http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name, port: { number: 80 } } } }] },
          },
        ],
      },
      { annotations },
    );
  const upstream = {
    "nginx.ingress.kubernetes.io/service-upstream": "true",
    "nginx.ingress.kubernetes.io/upstream-vhost": "kernel.sre.svc.cluster.local",
  };

  it("is GO when every precondition holds", () => {
    const objects = [
      namespace("ingress-nginx"),
      clusterSpiffeId(["sre", "ingress-nginx"]),
      ...controller(),
      ...spire(["node-1"]),
      ...backend(),
      ingress(upstream),
    ];
    const result = gate(runGates(objects, ingressPlan), "mesh-ingress");
    assert.equal(result.verdict, "pass", result.summary);
    assert.ok(result.findings.some((finding) => finding.subject === "Node node-1" && finding.verdict === "pass"));
    assert.ok(
      result.findings.some((finding) => finding.subject === "Ingress sre/kernel" && finding.verdict === "pass"),
    );
  });

  it("blocks hostNetwork, inbound capture, missing Ingress annotations, registration and node agents", () => {
    const objects = [
      namespace("ingress-nginx"),
      clusterSpiffeId(["sre"]),
      ...controller({ hostNetwork: true, annotations: {} }),
      ...spire(["node-2"]),
      ...backend(),
      ingress({}),
    ];
    const result = gate(runGates(objects, ingressPlan), "mesh-ingress");
    const blocking = result.findings
      .filter((finding) => finding.verdict === "fail")
      .map((finding) => `${finding.subject}: ${finding.message}`);

    assert.equal(result.verdict, "fail");
    assert.ok(
      blocking.some((line) =>
        /^Deployment ingress-nginx\/ingress-nginx-controller: Runs with hostNetwork: true/.test(line),
      ),
    );
    assert.ok(blocking.some((line) => /lacks traffic\.sidecar\.istio\.io\/includeInboundPorts: ""/.test(line)));
    assert.ok(
      blocking.some((line) =>
        /^Ingress sre\/kernel: Lacks nginx\.ingress\.kubernetes\.io\/service-upstream: "true" and nginx\.ingress\.kubernetes\.io\/upstream-vhost: kernel\.sre\.svc\.cluster\.local; .* meshed kernel:8080/.test(
          line,
        ),
      ),
    );
    assert.ok(blocking.some((line) => /namespace ingress-nginx is not covered by SPIRE registration/.test(line)));
    assert.ok(blocking.some((line) => /^Node node-1: .*no SPIRE agent pod and no SPIFFE CSI driver pod/.test(line)));
  });

  it("reports an Ingress to an unmeshed backend as info", () => {
    const objects = [
      namespace("ingress-nginx"),
      clusterSpiffeId(["ingress-nginx"]),
      ...controller(),
      ...spire(["node-1"]),
      ...deploymentWithPods({ namespace: "web", name: "website" }),
      service("web", "website", { app: "website" }, [{ port: 80, targetPort: 8080 }]),
      ingress({}, "web", "website"),
    ];
    const result = gate(runGates(objects, ingressPlan), "mesh-ingress");
    assert.equal(result.findings.find((finding) => finding.subject === "Ingress web/website")?.verdict, "info");
    assert.equal(result.verdict, "pass");
  });

  it("is UNDECIDED without the controller in the objects", () => {
    const result = gate(runGates([namespace("ingress-nginx")], ingressPlan), "mesh-ingress");
    assert.equal(result.verdict, "unknown");
    assert.deepEqual(pairs(result), ["unknown Deployment ingress-nginx/ingress-nginx-controller"]);
  });
});

describe("strict gate", () => {
  const strictPlan = plan({
    phases: { current: { id: "apps", mtls: "PERMISSIVE" }, next: [{ id: "strict", type: "strict" }] },
  });
  const kernel = [
    sre,
    meshConfigMap("trustDomain: insignia.tech\n"),
    peerAuthentication("sre", "default", { mtls: { mode: "PERMISSIVE" } }),
    ...deploymentWithPods({ namespace: "sre", name: "kernel", sidecar: "classic", pods: [{ appPorts: [8080] }] }),
    service("sre", "kernel", { app: "kernel" }, [{ port: 80, targetPort: 8080, name: "http" }]),
  ];
  const controller = deploymentWithPods({
    namespace: "ingress-nginx",
    name: "ingress-nginx-controller",
    templateLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
  });
  const ingress = resource("networking.k8s.io/v1", "Ingress", "sre", "kernel", {
    ingressClassName: "nginx",
    rules: [{ http: { paths: [{ path: "/", backend: { service: { name: "kernel", port: { number: 80 } } } }] } }],
  });
  const evidence = (samples: PrometheusEvidence["samples"]): PrometheusEvidence[] =>
    (["requests", "tcp-connections"] as const).map((purpose) => ({
      id: `prometheus:${purpose}`,
      type: "prometheus-query",
      command: "curl",
      output: "",
      at: "2026-06-28T21:40:00Z",
      durationMs: 1,
      attempts: 1,
      url: "http://127.0.0.1:9090",
      purpose,
      metric: purpose === "requests" ? "istio_requests_total" : "istio_tcp_connections_opened_total",
      query: "q",
      window: "24h",
      evaluatedAt: "2026-06-28T21:40:00Z",
      samples: purpose === "requests" ? samples : [],
    }));
  const mtlsSample = {
    labels: {
      destination_workload_namespace: "sre",
      destination_workload: "kernel",
      source_workload_namespace: "sre",
      source_workload: "ai",
      connection_security_policy: "mutual_tls",
    },
    value: 50,
  };

  it("is NO-GO naming the caller, the target, the port and the evidence", () => {
    const result = gate(runGates([...kernel, ...controller, ingress], strictPlan), "strict");
    const blocking = result.findings.filter((finding) => finding.verdict === "fail");

    assert.equal(result.verdict, "fail");
    assert.deepEqual(
      blocking.map((finding) => finding.subject),
      ["Deployment sre/kernel"],
    );
    assert.match(
      blocking[0]!.message,
      /^ingress-nginx \(Deployment ingress-nginx\/ingress-nginx-controller\) calls port 8080 in plaintext, and the port is STRICT after the flip\. Evidence: Ingress sre\/kernel → Service sre\/kernel:80 → container port 8080/,
    );
    assert.match(
      result.summary,
      /^NO-GO: 1 blocking finding: ingress-nginx → sre\/kernel:8080 in plaintext; 1 not measured/,
    );
    assert.ok(
      result.findings.some(
        (finding) => finding.subject === "PeerAuthentication sre/default" && finding.verdict === "warn",
      ),
    );
  });

  it("is UNDECIDED when only the telemetry is missing", () => {
    const result = gate(runGates(kernel, strictPlan), "strict");
    assert.equal(result.verdict, "unknown");
    assert.match(result.summary, /^UNDECIDED \(not GO\): telemetry not measured \(run with --prometheus URL\)/);
  });

  it("is GO with measured mTLS-only telemetry", () => {
    const result = gate(runGates(kernel, strictPlan, { evidence: evidence([mtlsSample]) }), "strict");
    assert.equal(result.verdict, "pass", result.summary);
    assert.ok(
      result.findings.some(
        (finding) => finding.subject === "Prometheus http://127.0.0.1:9090" && finding.verdict === "pass",
      ),
    );
  });

  it("is NO-GO on plaintext telemetry from an unknown source", () => {
    const plaintext = {
      ...mtlsSample,
      labels: {
        ...mtlsSample.labels,
        source_workload: "unknown",
        source_workload_namespace: "unknown",
        connection_security_policy: "none",
      },
    };
    const result = gate(runGates(kernel, strictPlan, { evidence: evidence([mtlsSample, plaintext]) }), "strict");
    const blocking = result.findings.filter((finding) => finding.verdict === "fail");
    assert.equal(result.verdict, "fail");
    assert.deepEqual(
      blocking.map((finding) => finding.subject),
      ["Deployment sre/kernel"],
    );
    assert.match(blocking[0]!.message, /a caller without a sidecar \(source_workload="unknown"/);
  });

  it("blocks on a principal that can never match", () => {
    const policy = resource("security.istio.io/v1", "AuthorizationPolicy", "sre", "kernel", {
      rules: [{ from: [{ source: { principals: ["other.example/ns/sre/sa/ai"] } }] }],
    });
    const result = gate(runGates([...kernel, policy], strictPlan, { evidence: evidence([mtlsSample]) }), "strict");
    assert.equal(result.verdict, "fail");
    assert.match(
      result.findings.find((finding) => finding.verdict === "fail")!.message,
      /^MP-AUTHZ-01: Principal "other\.example\/ns\/sre\/sa\/ai" is in trust domain other\.example/,
    );
  });
});
