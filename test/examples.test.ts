import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { load, loadAll } from "js-yaml";
import { buildExampleFiles } from "../scripts/gen-example.js";
import type { Container, KubeObject, Pod } from "../src/model/kube.js";
import { planSchema } from "../src/plan/schema.js";

const repoRoot = path.resolve(import.meta.dirname, "..");
const snapshotDir = path.join(repoRoot, "examples", "snapshot");
const windowStart = "2026-06-28T18:00:00Z";
const capturedAt = "2026-06-28T21:40:00Z";

interface LoadedDocument {
  file: string;
  document: Record<string, unknown>;
}

function loadSnapshot(): LoadedDocument[] {
  const loaded: LoadedDocument[] = [];
  const files = readdirSync(snapshotDir).filter((name) => name.endsWith(".yaml"));
  for (const file of files.sort()) {
    for (const document of loadAll(readFileSync(path.join(snapshotDir, file), "utf8"))) {
      assert.equal(typeof document, "object", `${file}: every document is a mapping`);
      assert.notEqual(document, null, `${file}: no document is empty`);
      loaded.push({ file, document: document as Record<string, unknown> });
    }
  }
  return loaded;
}

const documents = loadSnapshot();
const objects = documents
  .map((entry) => entry.document)
  .filter((document) => document.kind !== "CaptureInfo") as unknown as KubeObject[];
const pods = objects.filter((object): object is Pod => object.kind === "Pod");
const nodeNames = objects.filter((object) => object.kind === "Node").map((object) => object.metadata.name);

function podsOf(prefix: string): Pod[] {
  return pods.filter((pod) => pod.metadata.name.startsWith(prefix));
}

function hasProxy(containers: Container[] | undefined): boolean {
  return (containers ?? []).some((entry) => entry.name === "istio-proxy");
}

describe("example snapshot", () => {
  it("has well-formed objects with unique uids", () => {
    const uids = new Set<string>();
    for (const object of objects) {
      assert.ok(object.apiVersion, `${object.kind} ${object.metadata?.name} has an apiVersion`);
      assert.ok(object.metadata.name, `${object.kind} has a name`);
      assert.match(object.metadata.uid ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.ok(object.metadata.creationTimestamp, `${object.kind} ${object.metadata.name} has a creationTimestamp`);
      assert.ok(!uids.has(object.metadata.uid ?? ""), `uid of ${object.kind} ${object.metadata.name} is unique`);
      uids.add(object.metadata.uid ?? "");
    }
  });

  it("has the expected object counts", () => {
    const counts: Record<string, number> = {};
    for (const object of objects) counts[object.kind] = (counts[object.kind] ?? 0) + 1;
    const expected: Record<string, number> = {
      Namespace: 14,
      Node: 6,
      Pod: 42,
      Deployment: 20,
      StatefulSet: 8,
      DaemonSet: 2,
      Job: 1,
      Secret: 1,
      PeerAuthentication: 2,
      MutatingWebhookConfiguration: 1,
    };
    for (const [kind, count] of Object.entries(expected)) assert.equal(counts[kind], count, `${kind} count`);
  });

  it("records the capture time", () => {
    const captures = documents.filter((entry) => entry.document.kind === "CaptureInfo");
    assert.equal(captures.length, 1);
    assert.equal(captures[0]?.file, "capture.yaml");
    assert.deepEqual(captures[0]?.document, {
      apiVersion: "meshproof.dev/v1alpha1",
      kind: "CaptureInfo",
      capturedAt: "2026-06-28T21:40:00Z",
      cluster: "lynkedup-tech",
    });
  });

  it("has exactly one Secret", () => {
    const secrets = documents.filter((entry) => entry.document.kind === "Secret");
    assert.equal(secrets.length, 1);
    const secret = secrets[0]?.document as unknown as KubeObject;
    assert.equal(secrets[0]?.file, "sre.yaml");
    assert.equal(secret.metadata.name, "mdm-db-credentials");
    assert.equal(secret.type, "Opaque");
    assert.equal(Buffer.from(secret.data?.password ?? "", "base64").toString(), "S3cr3t-Passw0rd");
  });

  it("points every owner reference at an existing controller", () => {
    const byUid = new Map(objects.map((object) => [object.metadata.uid, object]));
    for (const object of objects) {
      for (const owner of object.metadata.ownerReferences ?? []) {
        const target = byUid.get(owner.uid);
        assert.ok(target, `owner ${owner.kind}/${owner.name} of ${object.metadata.name} exists`);
        assert.equal(target.kind, owner.kind);
        assert.equal(target.metadata.name, owner.name);
        assert.equal(owner.controller, true);
      }
    }
  });

  it("places every pod on a known node with an IP", () => {
    assert.equal(pods.length, 42);
    for (const pod of pods) {
      assert.ok(nodeNames.includes(pod.spec?.nodeName ?? ""), `${pod.metadata.name} runs on a known node`);
      assert.match(pod.status?.podIP ?? "", /^10\.244\.\d+\.\d+$/);
    }
    const podIps = pods.map((pod) => pod.status?.podIP);
    assert.equal(new Set(podIps).size, podIps.length, "pod IPs are unique");
  });

  it("creates pods between their node and the capture", () => {
    const nodeCreated = new Map(
      objects
        .filter((object) => object.kind === "Node")
        .map((node) => [node.metadata.name, node.metadata.creationTimestamp ?? ""]),
    );
    for (const pod of pods) {
      const created = pod.metadata.creationTimestamp ?? "";
      assert.ok(
        created >= (nodeCreated.get(pod.spec?.nodeName ?? "") ?? ""),
        `${pod.metadata.name} starts after its node`,
      );
      assert.ok(created < capturedAt, `${pod.metadata.name} exists before the capture`);
    }
  });
});

describe("example nodes", () => {
  it("has six Ready nodes on v1.36.1", () => {
    const nodes = objects.filter((object) => object.kind === "Node");
    assert.equal(nodes.length, 6);
    for (const node of nodes) {
      assert.match(node.metadata.name, /^pool-a1b2c-[a-z0-9]{5}$/);
      assert.equal(node.status.nodeInfo.kubeletVersion, "v1.36.1");
      const ready = (node.status.conditions as Array<{ type: string; status: string }>).find((c) => c.type === "Ready");
      assert.equal(ready?.status, "True");
    }
  });
});

describe("example mesh", () => {
  const meshed = pods.filter((pod) => hasProxy(pod.spec?.containers) || hasProxy(pod.spec?.initContainers));
  const native = ["mdm-kernel", "opal-server", "poi-api"];

  it("has ten pods with istio-proxy", () => {
    assert.equal(meshed.length, 10);
    const apps = meshed.map((pod) => pod.metadata.labels?.app).sort();
    assert.deepEqual(apps, [
      "cmp-docs",
      "hello-world",
      "mdm-ai",
      "mdm-kernel",
      "mdm-sas",
      "opa",
      "opal-server",
      "poi-api",
      "realmdm-opa",
      "roof",
    ]);
    for (const pod of meshed) assert.equal(pod.metadata.namespace, "sre");
  });

  it("has three native sidecars only under initContainers", () => {
    const nativePods = meshed.filter((pod) => !hasProxy(pod.spec?.containers));
    assert.deepEqual(nativePods.map((pod) => pod.metadata.labels?.app).sort(), native);
    for (const pod of nativePods) {
      const initNames = (pod.spec?.initContainers ?? []).map((entry) => entry.name);
      assert.deepEqual(initNames, ["istio-init", "istio-proxy"]);
      const proxy = pod.spec?.initContainers?.find((entry) => entry.name === "istio-proxy");
      assert.equal(proxy?.restartPolicy, "Always");
      assert.equal(pod.spec?.containers?.length, 1);
      const proxyStatus = pod.status?.initContainerStatuses?.find((entry) => entry.name === "istio-proxy");
      assert.equal(proxyStatus?.ready, true);
      assert.equal(proxyStatus?.started, true);
      const initStatus = pod.status?.initContainerStatuses?.find((entry) => entry.name === "istio-init");
      assert.equal(initStatus?.state?.terminated?.reason, "Completed");
    }
  });

  it("has seven classic sidecars in containers", () => {
    const classic = meshed.filter((pod) => hasProxy(pod.spec?.containers));
    assert.equal(classic.length, 7);
    for (const pod of classic) {
      assert.deepEqual(
        (pod.spec?.initContainers ?? []).map((entry) => entry.name),
        ["istio-init"],
      );
      assert.equal(pod.spec?.containers?.find((entry) => entry.name === "istio-proxy")?.restartPolicy, undefined);
      const statuses = pod.status?.containerStatuses ?? [];
      assert.equal(statuses.length, 2);
      for (const status of statuses) assert.equal(status.ready, true);
    }
  });

  it("gives meshed pods the SPIRE socket and injection status", () => {
    for (const pod of meshed) {
      const name = pod.metadata.name;
      const socket = pod.spec?.volumes?.find((volume) => volume.name === "workload-socket");
      assert.equal(socket?.csi?.driver, "csi.spiffe.io", `${name} mounts the SPIFFE CSI socket`);
      assert.equal(pod.metadata.annotations?.["inject.istio.io/templates"], "sidecar,spire");
      assert.equal(pod.metadata.labels?.["security.istio.io/tlsMode"], "istio");
      const status = JSON.parse(pod.metadata.annotations?.["sidecar.istio.io/status"] ?? "{}");
      assert.equal(status.revision, "default");
      assert.ok(status.volumes.includes("workload-socket"));
      assert.ok((pod.metadata.creationTimestamp ?? "") > windowStart, `${name} was created during the window`);
      assert.equal(pod.spec?.serviceAccountName, "default");
      assert.equal(pod.status?.phase, "Running");
    }
  });

  it("rewrites app HTTP probes to pilot-agent", () => {
    const [kernel] = podsOf("mdm-kernel-");
    const app = kernel?.spec?.containers?.find((entry) => entry.name === "mdm-kernel");
    assert.deepEqual(app?.readinessProbe?.httpGet, {
      path: "/app-health/mdm-kernel/readyz",
      port: 15020,
      scheme: "HTTP",
    });
    const proxy = kernel?.spec?.initContainers?.find((entry) => entry.name === "istio-proxy");
    const probers = JSON.parse(proxy?.env?.find((entry) => entry.name === "ISTIO_KUBE_APP_PROBERS")?.value ?? "{}");
    assert.equal(probers["/app-health/mdm-kernel/readyz"].httpGet.path, "/actuator/health/readiness");
    assert.equal(probers["/app-health/mdm-kernel/readyz"].httpGet.port, 8080);
    assert.equal(proxy?.env?.find((entry) => entry.name === "TRUST_DOMAIN")?.value, "insignia.tech");
  });

  it("keeps datastores out of the mesh", () => {
    const datastores = ["neo4j", "redpanda", "redis", "postgresql", "temporal", "vault"];
    const storePods = pods.filter((pod) => datastores.includes(pod.metadata.labels?.["app.kubernetes.io/name"] ?? ""));
    assert.equal(storePods.length, 9);
    for (const pod of storePods) {
      assert.equal(hasProxy(pod.spec?.containers) || hasProxy(pod.spec?.initContainers), false);
      assert.equal(pod.metadata.annotations?.["sidecar.istio.io/status"], undefined);
      assert.ok((pod.metadata.creationTimestamp ?? "") < windowStart, `${pod.metadata.name} predates the window`);
      if (pod.metadata.namespace === "sre") {
        assert.equal(pod.metadata.labels?.["sidecar.istio.io/inject"], "false", `${pod.metadata.name} opts out`);
      }
    }
    const [schemaJob] = podsOf("temporal-schema-setup-");
    assert.equal(schemaJob?.status?.phase, "Succeeded");
  });

  it("shows the crash-looping worker unmeshed", () => {
    const [workerPod] = podsOf("mdm-projection-worker-");
    assert.equal(workerPod?.metadata.name, "mdm-projection-worker-f897d6bc5-zxjsp");
    assert.equal(workerPod?.metadata.creationTimestamp, "2026-06-14T09:12:00Z");
    assert.equal(workerPod?.spec?.containers?.length, 1);
    assert.equal(workerPod?.metadata.annotations?.["sidecar.istio.io/status"], undefined);
    const status = workerPod?.status?.containerStatuses?.[0];
    assert.equal(status?.restartCount, 29);
    assert.equal(status?.ready, true);
    assert.equal(status?.state?.running?.startedAt, "2026-06-28T21:38:40Z");
    assert.equal(status?.lastState?.terminated?.reason, "Error");
    assert.equal(status?.lastState?.terminated?.exitCode, 1);
    assert.equal(status?.lastState?.terminated?.finishedAt, "2026-06-28T21:38:35Z");
  });

  it("labels only sre for injection", () => {
    const namespaces = objects.filter((object) => object.kind === "Namespace");
    const injected = namespaces.filter((object) => object.metadata.labels?.["istio-injection"] === "enabled");
    assert.deepEqual(
      injected.map((object) => object.metadata.name),
      ["sre"],
    );
    const labelled = injected[0]?.metadata.managedFields?.find((entry) => entry.manager === "kubectl-label");
    assert.equal(labelled?.time, "2026-06-28T18:02:11Z");
  });
});

describe("example SPIRE", () => {
  it("runs six agents on six distinct nodes", () => {
    const agents = podsOf("spire-agent-");
    assert.deepEqual(
      agents.map((pod) => pod.metadata.name),
      [
        "spire-agent-55q2n",
        "spire-agent-6nx2n",
        "spire-agent-9ttjf",
        "spire-agent-bn5t4",
        "spire-agent-tlbhg",
        "spire-agent-zmhql",
      ],
    );
    const agentNodes = new Set(agents.map((pod) => pod.spec?.nodeName));
    assert.equal(agentNodes.size, 6);
    assert.deepEqual([...agentNodes].sort(), [...nodeNames].sort());
    for (const pod of agents) assert.equal(pod.status?.containerStatuses?.[0]?.ready, true);
  });

  it("runs the CSI driver on every node", () => {
    const drivers = podsOf("spire-spiffe-csi-driver-");
    assert.equal(drivers.length, 6);
    assert.equal(new Set(drivers.map((pod) => pod.spec?.nodeName)).size, 6);
    for (const pod of drivers) assert.equal(pod.status?.containerStatuses?.length, 2);
  });

  it("selects meshed pods with the Istio ID template", () => {
    const [clusterSpiffeId] = objects.filter((object) => object.kind === "ClusterSPIFFEID");
    assert.equal(
      clusterSpiffeId?.spec.spiffeIDTemplate,
      "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
    );
    assert.equal(clusterSpiffeId?.status.stats.podsSelected, 10);
  });
});

describe("example plan", () => {
  const plan = planSchema.parse(load(readFileSync(path.join(repoRoot, "examples", "plan.yaml"), "utf8")));

  it("validates against the plan schema", () => {
    assert.equal(plan.metadata.name, "lynkedup-tech-mesh");
    assert.equal(plan.spec.trustDomain, "insignia.tech");
    assert.equal(plan.spec.mesh.workloads.length, 10);
    assert.deepEqual(
      plan.spec.mesh.workloads.filter((ref) => ref.canary).map((ref) => ref.name),
      ["hello-world"],
    );
    assert.deepEqual(
      plan.spec.phases.next.map((phase) => phase.id),
      ["mesh-workers", "mesh-ingress", "strict"],
    );
  });

  it("names workloads that exist in the snapshot", () => {
    const refs = [
      ...plan.spec.mesh.workloads.map((ref) => `${ref.kind} ${ref.namespace}/${ref.name}`),
      ...plan.spec.phases.next.flatMap((phase) =>
        (phase.workloads ?? []).map((ref) => `${ref.kind} ${ref.namespace}/${ref.name}`),
      ),
      ...plan.spec.probes.flatMap((probe) => (probe.workload ? [probe.workload] : [])),
    ];
    const present = new Set(
      objects.map((object) => `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`),
    );
    for (const ref of refs) assert.ok(present.has(ref), `${ref} is in the snapshot`);
  });

  it("matches the ServiceEntry host and ports", () => {
    const [entry] = objects.filter((object) => object.kind === "ServiceEntry");
    const [external] = plan.spec.externalServices;
    assert.deepEqual(entry?.spec.hosts, [external?.host]);
    assert.deepEqual(
      entry?.spec.ports.map((port: { number: number }) => port.number),
      [25060],
    );
    assert.deepEqual(
      external?.ports.map((port) => [port.number, port.inUse]),
      [
        [25060, "yes"],
        [25061, "unknown"],
      ],
    );
  });
});

describe("example generator", () => {
  it("matches the committed snapshot files", () => {
    const generated = buildExampleFiles();
    const committed = readdirSync(snapshotDir).filter((name) => name.endsWith(".yaml"));
    assert.deepEqual([...generated.keys()].sort(), committed.sort());
    for (const [name, text] of generated) {
      assert.equal(
        readFileSync(path.join(snapshotDir, name), "utf8"),
        text,
        `${name} is stale; run node --import tsx scripts/gen-example.ts`,
      );
    }
  });
});
