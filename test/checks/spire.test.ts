import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { clusterSpiffeIdCovers, parseAgentList, spireChecks } from "../../src/checks/spire.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import type { CollectedState, SpireCliEvidence } from "../../src/collect/types.js";
import type { KubeObject, Pod } from "../../src/model/kube.js";
import { ISTIO_SPIFFE_TEMPLATE } from "../../src/model/spire.js";
import { runCheck } from "../../src/run/run.js";
import { configMap, deploymentWithPods, modelOf, namespace, node, resource, workload } from "../support/builders.js";

const server = spireChecks.find((check) => check.id === "MP-SP-01") as CheckDefinition;
const agents = spireChecks.find((check) => check.id === "MP-SP-02") as CheckDefinition;
const csi = spireChecks.find((check) => check.id === "MP-SP-03") as CheckDefinition;
const coverage = spireChecks.find((check) => check.id === "MP-SP-04") as CheckDefinition;

const NODES = ["node-1", "node-2", "node-3"];

/** A pod of a SPIRE component with the given containers, all ready unless `ready` is false. */
function componentPod(options: {
  namespace: string;
  name: string;
  owner: string;
  nodeName: string;
  containers: string[];
  ready?: boolean;
  waiting?: string;
}): Pod {
  const ready = options.ready ?? true;
  const [ownerKind, ownerName] = options.owner.split("/");
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { app: ownerName ?? "" },
      ownerReferences: [{ apiVersion: "apps/v1", kind: ownerKind ?? "", name: ownerName ?? "", controller: true }],
    },
    spec: {
      nodeName: options.nodeName,
      containers: options.containers.map((name) => ({ name, image: `ghcr.io/spiffe/${name}:1.12.0` })),
    },
    status: {
      phase: options.waiting ? "Pending" : "Running",
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
      containerStatuses: options.containers.map((name, index) => ({
        name,
        ready: ready || index > 0,
        restartCount: 0,
        state: options.waiting && index === 0 ? { waiting: { reason: options.waiting } } : { running: {} },
      })),
    },
  };
}

function spireServer(ready = true): KubeObject[] {
  return [
    workload({ kind: "StatefulSet", namespace: "spire-server", name: "spire-server", readyReplicas: ready ? 1 : 0 }),
    componentPod({
      namespace: "spire-server",
      name: "spire-server-0",
      owner: "StatefulSet/spire-server",
      nodeName: "node-1",
      containers: ["spire-server", "spire-controller-manager"],
      ready,
      waiting: ready ? undefined : "CrashLoopBackOff",
    }),
  ];
}

function agentDaemonSet(onNodes: string[], notReady: string[] = []): KubeObject[] {
  return [
    workload({ kind: "DaemonSet", namespace: "spire-system", name: "spire-agent", replicas: onNodes.length }),
    ...onNodes.map((nodeName) =>
      componentPod({
        namespace: "spire-system",
        name: `spire-agent-${nodeName}`,
        owner: "DaemonSet/spire-agent",
        nodeName,
        containers: ["spire-agent"],
        ready: !notReady.includes(nodeName),
      }),
    ),
  ];
}

function csiDaemonSet(onNodes: string[], withDriverObject = true): KubeObject[] {
  const objects: KubeObject[] = [
    workload({
      kind: "DaemonSet",
      namespace: "spire-system",
      name: "spire-spiffe-csi-driver",
      replicas: onNodes.length,
    }),
    ...onNodes.map((nodeName) =>
      componentPod({
        namespace: "spire-system",
        name: `spire-spiffe-csi-driver-${nodeName}`,
        owner: "DaemonSet/spire-spiffe-csi-driver",
        nodeName,
        containers: ["spiffe-csi-driver", "node-driver-registrar"],
      }),
    ),
  ];
  if (withDriverObject)
    objects.push({ apiVersion: "storage.k8s.io/v1", kind: "CSIDriver", metadata: { name: "csi.spiffe.io" } });
  return objects;
}

function meshedApp(name: string, nodeName: string, labels: Record<string, string> = {}): KubeObject[] {
  return deploymentWithPods({
    namespace: "sre",
    name,
    sidecar: "classic",
    templateLabels: labels,
    pods: [{ nodeName }],
  });
}

function clusterSpiffeId(name: string, spec: Record<string, unknown>, stats?: Record<string, number>): KubeObject {
  const object = resource("spire.spiffe.io/v1alpha1", "ClusterSPIFFEID", undefined, name, {
    spiffeIDTemplate: ISTIO_SPIFFE_TEMPLATE,
    ...spec,
  });
  if (stats) object.status = { stats };
  return object;
}

function spireCli(args: string[], result: Partial<SpireCliEvidence>): SpireCliEvidence {
  return {
    type: "spire-cli",
    id: `spire:${args.join("-")}`,
    command: `kubectl -n spire-server exec spire-server-0 -c spire-server -- /opt/spire/bin/spire-server ${args.join(" ")}`,
    output: "",
    at: "2026-06-28T21:39:00Z",
    durationMs: 30,
    attempts: 1,
    pod: "spire-server-0",
    namespace: "spire-server",
    args,
    stdout: "",
    stderr: "",
    ...result,
  };
}

function run(check: CheckDefinition, objects: KubeObject[], overrides: Partial<CollectedState> = {}): CheckResult {
  return runCheck(check, modelOf(objects, undefined, overrides), undefined);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

function findingWith(result: CheckResult, verdict: string, subject: string) {
  const finding = result.findings.find((candidate) => candidate.verdict === verdict && candidate.subject === subject);
  assert.ok(finding, `no ${verdict} finding for ${subject}; findings: ${pairs(result).join(" | ")}`);
  return finding;
}

describe("MP-SP-01 SPIRE server", () => {
  it("passes a ready server and skips the live healthcheck on a snapshot", () => {
    const result = run(server, spireServer());
    assert.equal(result.verdict, "pass");
    assert.equal(result.summary, "Server 2/2 ready (spire-server-0 2/2 Running).");
    assert.deepEqual(pairs(result), [
      "skip StatefulSet spire-server/spire-server",
      "pass StatefulSet spire-server/spire-server",
    ]);
    assert.match(result.findings[0]?.message ?? "", /spire-server healthcheck not run: snapshot input/);
    assert.match(result.evidence[1]?.output ?? "", /spire-server-0\s+2\/2\s+Running\s+0\s+node-1/);
  });

  it("fails a server whose pod is not ready", () => {
    const result = run(server, spireServer(false));
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", "StatefulSet spire-server/spire-server").message,
      /No ready SPIRE server replica \(0\/1\)/,
    );
    assert.match(
      findingWith(result, "fail", "Pod spire-server/spire-server-0").message,
      /1\/2 containers ready, CrashLoopBackOff/,
    );
  });

  it("fails when the StatefulSet is absent", () => {
    const result = run(server, []);
    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail StatefulSet spire-server"]);
  });

  it("judges the live healthcheck result", () => {
    const healthy = run(server, spireServer(), {
      live: true,
      evidence: [spireCli(["healthcheck"], { exitCode: 0, stdout: "Server is healthy.\n" })],
    });
    assert.equal(healthy.verdict, "pass");
    assert.equal(healthy.summary, "Server 2/2 ready (spire-server-0 2/2 Running); healthcheck passed.");
    assert.equal(healthy.evidence[2]?.source, "live");

    const sick = run(server, spireServer(), {
      live: true,
      evidence: [spireCli(["healthcheck"], { exitCode: 1, stderr: "Server is unhealthy: datastore unavailable\n" })],
    });
    assert.equal(sick.verdict, "fail");
    assert.match(
      findingWith(sick, "fail", "Pod spire-server/spire-server-0").message,
      /exited 1: Server is unhealthy: datastore unavailable/,
    );

    const unread = run(server, spireServer(), {
      live: true,
      evidence: [
        spireCli(["healthcheck"], {
          error: { reason: "forbidden", message: "exec denied", permission: "create pods/exec" },
        }),
      ],
    });
    assert.equal(unread.verdict, "unknown");
  });
});

describe("MP-SP-02 agents on every meshed node", () => {
  it("passes one ready agent on each node", () => {
    const objects = [
      ...NODES.map((name) => node(name)),
      ...agentDaemonSet(NODES),
      ...meshedApp("mdm-kernel", "node-2"),
    ];
    const result = run(agents, objects);
    assert.equal(result.verdict, "pass");
    assert.equal(result.summary, "All 3 agents 1/1, one on each of 3 nodes.");
  });

  it("fails a node with meshed pods and no agent, naming the node", () => {
    const objects = [
      ...NODES.map((name) => node(name)),
      ...agentDaemonSet(["node-1", "node-2"]),
      ...meshedApp("mdm-kernel", "node-3"),
    ];
    const result = run(agents, objects);
    assert.equal(result.verdict, "fail");
    const finding = findingWith(result, "fail", "Node node-3");
    assert.match(
      finding.message,
      /1 meshed pod \(sre\/mdm-kernel-abc12-p0\) run here, but no SPIRE agent pod runs there/,
    );
    assert.match(result.summary, /^1 node with meshed pods lack a ready agent \(Node node-3\)/);
  });

  it("fails a node whose agent is not ready", () => {
    const objects = [
      ...NODES.map((name) => node(name)),
      ...agentDaemonSet(NODES, ["node-2"]),
      ...meshedApp("mdm-kernel", "node-2"),
    ];
    const result = run(agents, objects);
    assert.equal(result.verdict, "fail");
    assert.match(findingWith(result, "fail", "Node node-2").message, /agent spire-agent-node-2 is 0\/1 Running/);
  });

  it("warns for an untainted node without agent and notes a tainted one", () => {
    const tainted = node("control-1");
    tainted.spec = { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] };
    const objects = [
      ...NODES.map((name) => node(name)),
      tainted,
      ...agentDaemonSet(["node-1", "node-2"]),
      ...meshedApp("mdm-kernel", "node-1"),
    ];
    const result = run(agents, objects);
    assert.equal(result.verdict, "warn");
    assert.match(
      findingWith(result, "warn", "Node node-3").message,
      /a meshed pod scheduled here later would never get an SVID/,
    );
    assert.match(
      findingWith(result, "info", "Node control-1").message,
      /tainted \(node-role\.kubernetes\.io\/control-plane:NoSchedule\)/,
    );
  });

  it("folds the tainted-node note into a passing result", () => {
    const tainted = node("control-1");
    tainted.spec = { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] };
    const result = run(agents, [
      ...NODES.map((name) => node(name)),
      tainted,
      ...agentDaemonSet(NODES),
      ...meshedApp("mdm-kernel", "node-1"),
    ]);
    assert.equal(result.verdict, "pass");
    assert.match(
      findingWith(result, "pass", "DaemonSet spire-system/spire-agent").message,
      /Node control-1 has no ready SPIRE agent and no meshed pod/,
    );
  });

  it("cross-checks attested agents from a live agent list", () => {
    const listing = JSON.stringify({
      agents: [
        {
          id: { trust_domain: "insignia.tech", path: "/spire/agent/k8s_psat/prod/uid-1" },
          selectors: [{ type: "k8s_psat", value: "agent_node_name:node-1" }],
          x509svid_expires_at: "1893456000",
        },
        {
          id: { trust_domain: "insignia.tech", path: "/spire/agent/k8s_psat/prod/uid-2" },
          selectors: [{ type: "k8s_psat", value: "agent_node_name:node-2" }],
          x509svid_expires_at: "1700000000",
        },
      ],
    });
    const objects = [
      ...NODES.map((name) => node(name)),
      ...agentDaemonSet(NODES),
      ...meshedApp("mdm-kernel", "node-2"),
    ];
    const result = run(agents, objects, {
      live: true,
      evidence: [spireCli(["agent", "list", "-output", "json"], { exitCode: 0, stdout: listing })],
    });
    assert.equal(result.verdict, "fail");
    assert.match(findingWith(result, "fail", "Node node-2").message, /no attested, unexpired agent for this node/);
  });

  it("is unknown for the live part when agent list failed", () => {
    const objects = [...NODES.map((name) => node(name)), ...agentDaemonSet(NODES)];
    const result = run(agents, objects, {
      live: true,
      evidence: [
        spireCli(["agent", "list", "-output", "json"], {
          error: { reason: "timeout", message: "exec timed out after 10s" },
        }),
      ],
    });
    assert.equal(result.verdict, "unknown");
    assert.match(
      findingWith(result, "unknown", "Pod spire-server/spire-server-0").message,
      /could not run \(timeout\)/,
    );
  });
});

describe("parseAgentList", () => {
  it("reads node names, UIDs, expiry and bans", () => {
    const parsed = parseAgentList(
      JSON.stringify({
        agents: [
          {
            id: "spiffe://insignia.tech/spire/agent/k8s_psat/prod/abc-123",
            x509svid_expires_at: 1893456000,
            banned: true,
          },
        ],
      }),
    );
    assert.deepEqual(parsed, [
      {
        id: "spiffe://insignia.tech/spire/agent/k8s_psat/prod/abc-123",
        nodeName: undefined,
        nodeUid: "abc-123",
        expiresAt: 1893456000,
        banned: true,
      },
    ]);
    assert.equal(parseAgentList("not json"), undefined);
  });
});

describe("MP-SP-03 CSI driver", () => {
  it("passes a driver pod on every agent node", () => {
    const result = run(csi, [
      ...NODES.map((name) => node(name)),
      ...agentDaemonSet(NODES),
      ...csiDaemonSet(NODES),
      ...meshedApp("mdm-kernel", "node-1"),
    ]);
    assert.equal(result.verdict, "pass");
    assert.equal(result.summary, "CSI driver on every node (3/3).");
  });

  it("fails a node without a driver pod", () => {
    const result = run(csi, [
      ...NODES.map((name) => node(name)),
      ...agentDaemonSet(NODES),
      ...csiDaemonSet(["node-1", "node-2"]),
      ...meshedApp("mdm-kernel", "node-3"),
    ]);
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", "Node node-3").message,
      /no CSI driver pod runs there; 1 meshed pod \(sre\/mdm-kernel-abc12-p0\) need it/,
    );
    assert.equal(result.summary, "CSI driver ready on 2/3 nodes.");
  });

  it("fails when CSIDriver csi.spiffe.io is not registered", () => {
    const result = run(csi, [
      ...NODES.map((name) => node(name)),
      ...agentDaemonSet(NODES),
      ...csiDaemonSet(NODES, false),
    ]);
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", "CSIDriver csi.spiffe.io").message,
      /driver name csi\.spiffe\.io not found/,
    );
  });
});

describe("MP-SP-04 ClusterSPIFFEID coverage", () => {
  const sre = namespace("sre", { "istio-injection": "enabled" });
  const selectingSre = clusterSpiffeId(
    "istio-mesh",
    { namespaceSelector: { matchLabels: { "istio-injection": "enabled" } } },
    { entryFailures: 0 },
  );

  it("passes when every meshed pod is selected", () => {
    const result = run(coverage, [
      sre,
      ...spireServer(),
      selectingSre,
      ...meshedApp("mdm-kernel", "node-1"),
      ...meshedApp("mdm-ai", "node-2"),
    ]);
    assert.equal(result.verdict, "pass");
    assert.equal(result.summary, "All 2 meshed pods selected by ClusterSPIFFEID istio-mesh; no entry failures.");
  });

  it("fails a meshed pod that no ClusterSPIFFEID selects", () => {
    const labelled = clusterSpiffeId("istio-mesh", {
      podSelector: { matchLabels: { "spiffe.io/spire-managed-identity": "true" } },
    });
    const objects = [
      sre,
      ...spireServer(),
      labelled,
      ...meshedApp("mdm-kernel", "node-1", { "spiffe.io/spire-managed-identity": "true" }),
      ...meshedApp("mdm-ai", "node-2"),
    ];
    const result = run(coverage, objects);
    assert.equal(result.verdict, "fail");
    assert.deepEqual(
      result.findings.filter((finding) => finding.verdict === "fail").map((finding) => finding.subject),
      ["Deployment sre/mdm-ai"],
    );
    assert.match(findingWith(result, "fail", "Deployment sre/mdm-ai").message, /not selected by any ClusterSPIFFEID/);
    assert.equal(result.summary, "1/2 meshed pods selected by ClusterSPIFFEID istio-mesh; 1 workload not selected.");
  });

  it("fails on entry failures in status", () => {
    const failing = clusterSpiffeId("istio-mesh", {}, { entryFailures: 2, podEntryRenderFailures: 1 });
    const result = run(coverage, [sre, ...spireServer(), failing, ...meshedApp("mdm-kernel", "node-1")]);
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", "ClusterSPIFFEID istio-mesh").message,
      /2 entryFailures and 1 podEntryRenderFailures/,
    );
  });

  it("fails when SPIRE runs but no ClusterSPIFFEID exists", () => {
    const result = run(coverage, [sre, ...spireServer(), ...meshedApp("mdm-kernel", "node-1")]);
    assert.equal(result.verdict, "fail");
    assert.match(result.findings[0]?.message ?? "", /no ClusterSPIFFEID exists/);
  });

  it("is unknown when ClusterSPIFFEIDs could not be collected", () => {
    const result = run(coverage, [sre, ...spireServer()], {
      collectionIssues: [
        {
          resource: "clusterspiffeids.spire.spiffe.io",
          reason: "not-found",
          message: "the server could not find the requested resource",
        },
      ],
    });
    assert.equal(result.verdict, "unknown");
  });

  it("honours the controller-manager's ignoreNamespaces", () => {
    const ignoring = configMap("spire-server", "spire-controller-manager", {
      "controller-manager-config.yaml": "trustDomain: insignia.tech\nignoreNamespaces:\n  - kube-system\n  - sre\n",
    });
    const result = run(coverage, [sre, ...spireServer(), ignoring, selectingSre, ...meshedApp("mdm-kernel", "node-1")]);
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", "Deployment sre/mdm-kernel").message,
      /namespace sre is in the controller-manager's ignoreNamespaces/,
    );
  });
});

describe("clusterSpiffeIdCovers", () => {
  it("returns the covering ClusterSPIFFEID or undefined", () => {
    const model = modelOf([
      namespace("sre", { "istio-injection": "enabled" }),
      namespace("workers"),
      clusterSpiffeId("istio-mesh", { namespaceSelector: { matchLabels: { "istio-injection": "enabled" } } }),
      clusterSpiffeId("fallback", { fallback: true, podSelector: { matchLabels: { tier: "worker" } } }),
    ]);
    assert.equal(clusterSpiffeIdCovers(model, "sre", { app: "mdm-kernel" }), "ClusterSPIFFEID istio-mesh");
    assert.equal(clusterSpiffeIdCovers(model, "workers", { tier: "worker" }), "ClusterSPIFFEID fallback");
    assert.equal(clusterSpiffeIdCovers(model, "workers", { app: "projection" }), undefined);
  });
});
