import { strict as assert } from "node:assert";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { CORE_SCHEMA, loadAll } from "js-yaml";
import { readSnapshot } from "../../src/collect/snapshot/read.js";
import { type CollectedState, SNAPSHOT_FORMAT } from "../../src/collect/types.js";
import { UserError } from "../../src/errors.js";
import { type KubeObject, objectKey } from "../../src/model/kube.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const externalTestdata = path.resolve(repoRoot, "../shared/istio-analyzers/testdata");

const temporaryFolders: string[] = [];
after(async () => {
  await Promise.all(temporaryFolders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** Writes files (relative path -> content) into a new temporary folder and returns the folder. */
async function writeTree(files: Record<string, string | Buffer>): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), "meshproof-snapshot-"));
  temporaryFolders.push(folder);
  for (const [relativePath, content] of Object.entries(files)) {
    const file = path.join(folder, relativePath);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  return folder;
}

/** Builds a List as `kubectl cluster-info dump` writes it: items without kind and apiVersion, indented by 4. */
function dumpList(kind: string, apiVersion: string, items: object[]): string {
  return JSON.stringify({ kind, apiVersion, metadata: { resourceVersion: "1000" }, items }, null, 4);
}

function names(state: CollectedState): string[] {
  return state.objects.map((object) => `${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name}`);
}

/** Asserts that reading `inputPath` fails with a UserError of exit code 2 and exactly this message. */
async function assertReadFails(inputPath: string, expectedMessage: string | RegExp): Promise<UserError> {
  let caught: unknown;
  try {
    await readSnapshot(inputPath);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof UserError, `expected a UserError, got ${String(caught)}`);
  assert.equal(caught.exitCode, 2);
  if (typeof expectedMessage === "string") {
    assert.equal(caught.message, expectedMessage);
  } else {
    assert.match(caught.message, expectedMessage);
  }
  return caught;
}

const POD_YAML = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
spec:
  containers:
  - name: web
    image: registry.example/web:1.0
`;

describe("readSnapshot YAML and JSON files", () => {
  it("reads multi-document YAML", async () => {
    const folder = await writeTree({
      "objects.yaml": `# comment before the first document
${POD_YAML}---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata:
  name: default
  namespace: istio-system
spec:
  mtls:
    mode: PERMISSIVE
---
# only a comment
---
`,
    });
    const state = await readSnapshot(path.join(folder, "objects.yaml"));

    assert.equal(state.format, SNAPSHOT_FORMAT);
    assert.deepEqual(state.source, { type: "files", description: path.join(folder, "objects.yaml") });
    assert.equal(state.live, false);
    assert.deepEqual(names(state), ["Pod shop/web-1", "Service shop/web", "PeerAuthentication istio-system/default"]);
    assert.deepEqual(state.input.objectsByKind, { PeerAuthentication: 1, Pod: 1, Service: 1 });
    assert.deepEqual(state.input.files, ["objects.yaml"]);
    assert.deepEqual(state.input.skippedDocuments, []);
    assert.deepEqual(state.input.duplicates, []);
    assert.deepEqual(state.input.warnings, []);
    assert.deepEqual(state.evidence, []);
    assert.deepEqual(state.collectionIssues, []);
    assert.equal(state.objects[2]?.spec.mtls.mode, "PERMISSIVE");
    assert.equal(state.capturedAt, undefined);
    assert.equal(state.kubernetesVersion, undefined);
  });

  it("reads document markers, end markers and directives", async () => {
    const folder = await writeTree({
      "a.yaml": `%YAML 1.2
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
...
`,
      "b.yaml": `--- {apiVersion: v1, kind: Namespace, metadata: {name: b}}
...
# between documents
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: mesh
  namespace: shop
data:
  config.yaml: |
    first: 1
    ---
    second: 2
`,
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(names(state), ["Namespace /a", "Namespace /b", "ConfigMap shop/mesh"]);
    assert.equal(state.objects[2]?.data?.["config.yaml"], "first: 1\n---\nsecond: 2\n");
  });

  it("resolves YAML anchors and merge keys", async () => {
    const folder = await writeTree({
      "pods.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: shop
  labels: &labels
    app: web
    tier: front
---
apiVersion: v1
kind: Pod
metadata:
  name: b
  namespace: shop
  labels:
    <<: {app: web, tier: front}
    version: v2
`,
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(state.objects[0]?.metadata.labels, { app: "web", tier: "front" });
    assert.deepEqual(state.objects[1]?.metadata.labels, { app: "web", tier: "front", version: "v2" });
  });

  it("flattens a kind: List in YAML", async () => {
    const folder = await writeTree({
      "all.yaml": `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
- apiVersion: v1
  kind: ServiceAccount
  metadata:
    name: web
    namespace: shop
`,
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(names(state), ["Deployment shop/web", "ServiceAccount shop/web"]);
    assert.equal(state.objects[0]?.apiVersion, "apps/v1");
    assert.deepEqual(state.input.objectsByKind, { Deployment: 1, ServiceAccount: 1 });
  });

  it("gives items of a typed JSON List the list's kind", async () => {
    const folder = await writeTree({
      "pods.json": JSON.stringify({
        apiVersion: "v1",
        kind: "PodList",
        items: [
          { metadata: { name: "a", namespace: "shop" } },
          { apiVersion: "v1", kind: "Pod", metadata: { name: "b", namespace: "shop" } },
        ],
      }),
    });
    const state = await readSnapshot(path.join(folder, "pods.json"));

    assert.deepEqual(names(state), ["Pod shop/a", "Pod shop/b"]);
    assert.equal(state.objects[0]?.apiVersion, "v1");
    assert.deepEqual(state.input.objectsByKind, { Pod: 2 });
  });

  it("reads a .yaml file that holds JSON", async () => {
    const folder = await writeTree({
      "pod.yaml": JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "a", namespace: "shop" } }),
    });
    const state = await readSnapshot(folder);
    assert.deepEqual(names(state), ["Pod shop/a"]);
  });

  it("decodes a UTF-16 file with a byte order mark", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(POD_YAML, "utf16le")]);
    const folder = await writeTree({ "pods.yaml": utf16 });
    const state = await readSnapshot(folder);
    assert.deepEqual(names(state), ["Pod shop/web-1"]);
  });

  it("reads a folder recursively in sorted order", async () => {
    const folder = await writeTree({
      "b/pods.yml": POD_YAML,
      "a/nested/deep/services.json": dumpList("ServiceList", "v1", [{ metadata: { name: "web", namespace: "shop" } }]),
      "c.json.gz": gzipSync(JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } })),
      "README.md": "# not read",
      "a/notes.txt": "not read either",
      "a/nested/ignored.yaml.bak": "kind: [",
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(state.input.files, ["a/nested/deep/services.json", "b/pods.yml", "c.json.gz"]);
    assert.deepEqual(names(state), ["Service shop/web", "Pod shop/web-1", "Namespace /shop"]);
    assert.equal(state.source.type, "files");
    assert.equal(state.source.description, folder);
  });
});

describe("readSnapshot cluster-info dump folder", () => {
  it("reads a kubectl cluster-info dump layout", async () => {
    const folder = await writeTree({
      "nodes.json": dumpList("NodeList", "v1", [
        {
          metadata: { name: "node-a", creationTimestamp: "2026-06-01T08:00:00Z" },
          status: {
            nodeInfo: { kubeletVersion: "v1.30.4" },
            conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: "2026-06-28T21:39:10Z" }],
          },
        },
      ]),
      "shop/pods.json": dumpList("PodList", "v1", [
        {
          metadata: { name: "web-1", namespace: "shop", creationTimestamp: "2026-06-28T20:00:00Z" },
          spec: { containers: [{ name: "web" }] },
          status: { phase: "Running" },
        },
      ]),
      "shop/services.json": dumpList("ServiceList", "v1", [{ metadata: { name: "web", namespace: "shop" } }]),
      "shop/deployments.json": dumpList("DeploymentList", "apps/v1", [
        { metadata: { name: "web", namespace: "shop" } },
      ]),
      "shop/replicasets.json": dumpList("ReplicaSetList", "apps/v1", [
        { metadata: { name: "web-5d9f", namespace: "shop" } },
      ]),
      "shop/daemonsets.json": dumpList("DaemonSetList", "apps/v1", []),
      "shop/events.json": dumpList("EventList", "v1", [
        {
          metadata: { name: "web-1.17f", namespace: "shop", creationTimestamp: "2026-06-28T20:00:01Z" },
          lastTimestamp: "2026-06-28T21:40:00Z",
          reason: "Started",
        },
      ]),
      "shop/replicationcontrollers.json": dumpList("ReplicationControllerList", "v1", []),
      "shop/web-1/logs.txt": "==== START logs for container web of pod shop/web-1 ====\n",
      "kube-system/pods.json": dumpList("PodList", "v1", [
        { metadata: { name: "coredns-1", namespace: "kube-system" } },
      ]),
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(state.input.objectsByKind, {
      Deployment: 1,
      Event: 1,
      Node: 1,
      Pod: 2,
      ReplicaSet: 1,
      Service: 1,
    });
    assert.deepEqual(state.input.files, [
      "kube-system/pods.json",
      "nodes.json",
      "shop/daemonsets.json",
      "shop/deployments.json",
      "shop/events.json",
      "shop/pods.json",
      "shop/replicasets.json",
      "shop/replicationcontrollers.json",
      "shop/services.json",
    ]);
    const deployment = state.objects.find((object) => object.kind === "Deployment");
    assert.equal(deployment?.apiVersion, "apps/v1");
    const pod = state.objects.find((object) => object.metadata.name === "web-1");
    assert.equal(pod?.kind, "Pod");
    assert.equal(pod?.apiVersion, "v1");
    assert.deepEqual(state.input.skippedDocuments, []);
    assert.deepEqual(state.kubernetesVersion, { gitVersion: "v1.30.4", source: "node-kubelet" });
    assert.equal(state.capturedAt, "2026-06-28T21:40:00Z");
    assert.equal(state.capturedAtSource, "newest-object-timestamp");
  });
});

describe("readSnapshot Secrets", () => {
  it("drops Secrets everywhere and keeps none of their data", async () => {
    const secretData = "c3VwZXItc2VjcmV0LXZhbHVlLTQy";
    const secretText = "hunter2-plain-text-password";
    const snapshot = {
      format: SNAPSHOT_FORMAT,
      objects: [
        { apiVersion: "v1", kind: "Secret", metadata: { name: "from-snapshot" }, data: { token: secretData } },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings", namespace: "shop" }, data: { a: "b" } },
      ],
    };
    const folder = await writeTree({
      "a-secret.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
data:
  password: ${secretData}
stringData:
  plain: ${secretText}
---
${POD_YAML}`,
      "b-list.yaml": `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata:
    name: in-list
  data:
    key: ${secretData}
`,
      "c-secrets.json": JSON.stringify({
        apiVersion: "v1",
        kind: "SecretList",
        items: [{ metadata: { name: "no-kind", namespace: "shop" }, data: { key: secretData } }],
      }),
      "d-no-api-version.yaml": `kind: Secret
metadata:
  name: bare
stringData:
  value: ${secretText}
`,
      "e-snapshot.json": JSON.stringify(snapshot),
    });
    const state = await readSnapshot(folder);

    assert.equal(state.input.secretsDropped, 5);
    assert.deepEqual(names(state), ["Pod shop/web-1", "ConfigMap shop/settings"]);
    assert.deepEqual(state.input.objectsByKind, { ConfigMap: 1, Pod: 1 });
    assert.deepEqual(state.input.skippedDocuments, []);
    const serialized = JSON.stringify(state);
    assert.ok(!serialized.includes(secretData), "the Secret's data value must not appear in the result");
    assert.ok(!serialized.includes(secretText), "the Secret's stringData value must not appear in the result");
    assert.ok(!serialized.includes("Secret"), "no Secret is named in the result");
  });

  it("keeps a Secret value out of a JSON syntax error", async () => {
    const folder = await writeTree({
      "secret.json": '{"apiVersion": "v1", "kind": "Secret", "data": {"token": unquoted-secret-token}}',
    });
    const error = await assertReadFails(
      path.join(folder, "secret.json"),
      `${path.join(folder, "secret.json")}:1:58: invalid JSON: unexpected character "u". Fix the document or remove the file from the snapshot folder.`,
    );
    assert.ok(!error.message.includes("unquoted-secret-token"));
  });
});

describe("readSnapshot skipped documents and duplicates", () => {
  it("records a document without kind with its file and line", async () => {
    const folder = await writeTree({
      "mixed.yaml": `${POD_YAML}---
# mesh config, not a Kubernetes object
defaultConfig:
  holdApplicationUntilProxyStarts: true
---
apiVersion: v1
metadata:
  name: no-kind
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    namespace: shop
- just a string
`,
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(names(state), ["Pod shop/web-1"]);
    assert.deepEqual(state.input.skippedDocuments, [
      { file: "mixed.yaml", line: 12, reason: "missing apiVersion and kind, so it is not a Kubernetes object" },
      { file: "mixed.yaml", line: 15, reason: "missing kind, so it is not a Kubernetes object" },
      { file: "mixed.yaml", line: 19, reason: "items[0]: ConfigMap without metadata.name" },
      { file: "mixed.yaml", line: 19, reason: "items[1]: expected a Kubernetes object or List, found a string" },
    ]);
    assert.deepEqual(state.input.objectsByKind, { Pod: 1 });
  });

  it("keeps the later copy of a duplicate object", async () => {
    const deployment = (image: string, apiVersion = "apps/v1") => `apiVersion: ${apiVersion}
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: web
        image: ${image}
`;
    const folder = await writeTree({
      "1-old.yaml": `${deployment("web:1.0")}---\n${POD_YAML}`,
      "2-new.yaml": deployment("web:2.0"),
      "3-same-file.yaml": `${POD_YAML}---\n${POD_YAML.replace("registry.example/web:1.0", "registry.example/web:3.0")}`,
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(names(state), ["Deployment shop/web", "Pod shop/web-1"]);
    assert.equal(state.objects[0]?.spec.template.spec.containers[0].image, "web:2.0");
    assert.equal(state.objects[1]?.spec.containers[0].image, "registry.example/web:3.0");
    assert.deepEqual(state.input.objectsByKind, { Deployment: 1, Pod: 1 });
    assert.deepEqual(state.input.duplicates, [
      { subject: "Deployment shop/web", firstFile: "1-old.yaml", keptFile: "2-new.yaml" },
      { subject: "Pod shop/web-1", firstFile: "1-old.yaml", keptFile: "3-same-file.yaml" },
      { subject: "Pod shop/web-1", firstFile: "3-same-file.yaml", keptFile: "3-same-file.yaml" },
    ]);
    assert.deepEqual(state.input.warnings, [
      "Deployment shop/web is given more than once: in 1-old.yaml and in 2-new.yaml; the copy in 2-new.yaml is used.",
      "Pod shop/web-1 is given more than once: in 1-old.yaml and in 3-same-file.yaml; the copy in 3-same-file.yaml is used.",
      "Pod shop/web-1 is given more than once: twice in 3-same-file.yaml; the later copy is used.",
    ]);
  });

  it("treats two versions of one API group as the same object", async () => {
    const rule = (apiVersion: string) =>
      JSON.stringify({ apiVersion, kind: "DestinationRule", metadata: { name: "db", namespace: "shop" } });
    const folder = await writeTree({
      "a.json": rule("networking.istio.io/v1beta1"),
      "b.json": rule("networking.istio.io/v1"),
    });
    const state = await readSnapshot(folder);

    assert.equal(state.objects.length, 1);
    assert.equal(state.objects[0]?.apiVersion, "networking.istio.io/v1");
    assert.equal(state.input.duplicates.length, 1);
  });

  it("summarizes duplicates after the tenth warning", async () => {
    const pods = Array.from({ length: 12 }, (_, index) => POD_YAML.replace("name: web-1", `name: web-${index}`)).join(
      "---\n",
    );
    const folder = await writeTree({ "a.yaml": pods, "b.yaml": pods });
    const state = await readSnapshot(folder);

    assert.equal(state.input.duplicates.length, 12);
    assert.equal(state.input.warnings.length, 11);
    assert.equal(
      state.input.warnings[10],
      "2 more objects are given more than once; the later copy of each is used (the input report lists them all).",
    );
  });
});

describe("readSnapshot capture time and Kubernetes version", () => {
  it("takes capturedAt and the version from a CaptureInfo document", async () => {
    const folder = await writeTree({
      "capture.yaml": `apiVersion: meshproof.dev/v1alpha1
kind: CaptureInfo
capturedAt: 2026-06-28T21:40:00Z
cluster: prod-eu-1
kubernetesVersion: v1.36.1
`,
      "nodes.yaml": `apiVersion: v1
kind: Node
metadata:
  name: node-a
  creationTimestamp: "2026-06-29T00:00:00Z"
status:
  nodeInfo:
    kubeletVersion: v1.35.0
`,
    });
    const state = await readSnapshot(folder);

    assert.equal(state.capturedAt, "2026-06-28T21:40:00Z");
    assert.equal(state.capturedAtSource, "snapshot-file");
    assert.deepEqual(state.kubernetesVersion, { gitVersion: "v1.36.1", source: "version-endpoint" });
    assert.deepEqual(names(state), ["Node /node-a"]);
    assert.deepEqual(state.input.objectsByKind, { Node: 1 });
    assert.deepEqual(state.input.skippedDocuments, []);
  });

  it("rejects a CaptureInfo without a valid capturedAt", async () => {
    const folder = await writeTree({
      "capture.yaml": `${POD_YAML}---
apiVersion: meshproof.dev/v1alpha1
kind: CaptureInfo
capturedAt: yesterday
`,
    });
    await assertReadFails(
      folder,
      `${path.join(folder, "capture.yaml")}:11: CaptureInfo capturedAt: expected an ISO time with an offset, such as 2026-06-28T10:00:00Z, but found "yesterday".`,
    );
  });

  it("uses the newest object timestamp without CaptureInfo", async () => {
    const folder = await writeTree({
      "objects.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  creationTimestamp: "2026-06-28T20:00:00Z"
  managedFields:
  - manager: kubelet
    time: "2026-06-28T20:05:00Z"
status:
  conditions:
  - type: Ready
    status: "True"
    lastTransitionTime: "2026-06-28T20:06:00Z"
  containerStatuses:
  - name: web
    state:
      running:
        startedAt: "2026-06-28T20:07:00Z"
    lastState:
      terminated:
        startedAt: "2026-06-28T19:00:00Z"
        finishedAt: "2026-06-28T21:15:30Z"
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  creationTimestamp: "2026-06-01T00:00:00Z"
  deletionTimestamp: "2027-01-01T00:00:00Z"
`,
    });
    const state = await readSnapshot(folder);

    assert.equal(state.capturedAt, "2026-06-28T21:15:30Z");
    assert.equal(state.capturedAtSource, "newest-object-timestamp");
  });

  it("uses the lowest kubelet version and warns about mixed minor versions", async () => {
    const node = (name: string, kubeletVersion: string) => ({
      metadata: { name },
      status: { nodeInfo: { kubeletVersion } },
    });
    const folder = await writeTree({
      "nodes.json": dumpList("NodeList", "v1", [
        node("a", "v1.30.2"),
        node("b", "v1.29.10"),
        node("c", "v1.29.8-eks-1a2b3c"),
        node("d", "v1.30.1"),
      ]),
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(state.kubernetesVersion, { gitVersion: "v1.29.8-eks-1a2b3c", source: "node-kubelet" });
    assert.deepEqual(state.input.warnings, [
      "Nodes run kubelets of different minor versions (1.29 on 2 nodes, 1.30 on 2 nodes); the lowest, v1.29.8-eks-1a2b3c, is used as the cluster's Kubernetes version.",
    ]);
  });

  it("does not warn when nodes share a minor version", async () => {
    const folder = await writeTree({
      "nodes.json": dumpList("NodeList", "v1", [
        { metadata: { name: "a" }, status: { nodeInfo: { kubeletVersion: "v1.30.2" } } },
        { metadata: { name: "b" }, status: { nodeInfo: { kubeletVersion: "v1.30.1" } } },
      ]),
    });
    const state = await readSnapshot(folder);

    assert.deepEqual(state.kubernetesVersion, { gitVersion: "v1.30.1", source: "node-kubelet" });
    assert.deepEqual(state.input.warnings, []);
  });
});

describe("readSnapshot meshproof snapshot documents", () => {
  const evidence = {
    type: "http-probe",
    id: "probe:web",
    command: "curl -sS -o /dev/null -w '%{http_code}' http://web.shop/healthz",
    output: "200",
    at: "2026-06-28T21:39:00Z",
    durationMs: 12,
    attempts: 1,
    probe: "web",
    method: "GET",
    url: "http://web.shop/healthz",
    expectedStatus: 200,
    status: 200,
    headers: {},
  };
  const collectionIssue = {
    resource: "peerauthentications.security.istio.io",
    reason: "forbidden",
    message: "list is forbidden",
    permission: "list peerauthentications.security.istio.io",
  };
  const snapshotDocument = {
    format: SNAPSHOT_FORMAT,
    source: { type: "live", description: "prod (https://127.0.0.1:6443)" },
    capturedAt: "2026-06-28T21:40:00Z",
    capturedAtSource: "live-clock",
    kubernetesVersion: { gitVersion: "v1.36.1", source: "version-endpoint" },
    live: true,
    objects: [
      { apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", namespace: "shop" } },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "leaked", namespace: "shop" }, data: { k: "c2VjcmV0" } },
    ],
    evidence: [evidence],
    collectionIssues: [collectionIssue],
    input: {
      files: [],
      objectsByKind: { Pod: 1 },
      secretsDropped: 3,
      skippedDocuments: [],
      duplicates: [],
      warnings: [],
    },
  };

  it("reads a gzipped snapshot document", async () => {
    const folder = await writeTree({ "snapshot.json.gz": gzipSync(JSON.stringify(snapshotDocument)) });
    const file = path.join(folder, "snapshot.json.gz");
    const state = await readSnapshot(file);

    assert.deepEqual(state.source, { type: "snapshot", description: file });
    assert.equal(state.live, true);
    assert.equal(state.capturedAt, "2026-06-28T21:40:00Z");
    assert.equal(state.capturedAtSource, "live-clock");
    assert.deepEqual(state.kubernetesVersion, { gitVersion: "v1.36.1", source: "version-endpoint" });
    assert.deepEqual(names(state), ["Pod shop/web-1"]);
    assert.deepEqual(state.evidence, [evidence]);
    assert.deepEqual(state.collectionIssues, [collectionIssue]);
    assert.equal(state.input.secretsDropped, 4);
    assert.deepEqual(state.input.objectsByKind, { Pod: 1 });
    assert.deepEqual(state.input.files, ["snapshot.json.gz"]);
    assert.ok(!JSON.stringify(state).includes("c2VjcmV0"));
  });

  it("detects gzip by its magic bytes whatever the file name", async () => {
    const folder = await writeTree({ "capture.bin": gzipSync(JSON.stringify(snapshotDocument)) });
    const state = await readSnapshot(path.join(folder, "capture.bin"));
    assert.equal(state.source.type, "snapshot");
    assert.deepEqual(names(state), ["Pod shop/web-1"]);
  });

  it("reads an uncompressed snapshot document", async () => {
    const folder = await writeTree({ "snapshot.json": JSON.stringify(snapshotDocument) });
    const state = await readSnapshot(folder);
    assert.equal(state.source.type, "snapshot");
    assert.equal(state.live, true);
    assert.deepEqual(state.evidence, [evidence]);
  });

  it("accepts a snapshot with no objects", async () => {
    const empty = { format: SNAPSHOT_FORMAT, live: false, objects: [], collectionIssues: [collectionIssue] };
    const folder = await writeTree({ "snapshot.json": JSON.stringify(empty) });
    const state = await readSnapshot(folder);
    assert.deepEqual(state.objects, []);
    assert.deepEqual(state.collectionIssues, [collectionIssue]);
  });

  it("rejects an unknown snapshot format version", async () => {
    const folder = await writeTree({
      "snapshot.json.gz": gzipSync(JSON.stringify({ ...snapshotDocument, format: "meshproof.dev/snapshot/v2" })),
    });
    await assertReadFails(
      folder,
      `${path.join(folder, "snapshot.json.gz")}: unsupported snapshot format "meshproof.dev/snapshot/v2": this meshproof reads meshproof.dev/snapshot/v1. Use the meshproof version that wrote the snapshot, or write it again with this version.`,
    );
  });

  it("rejects a snapshot whose objects are not an array", async () => {
    const folder = await writeTree({ "snapshot.json": JSON.stringify({ format: SNAPSHOT_FORMAT, objects: {} }) });
    await assertReadFails(
      folder,
      `${path.join(folder, "snapshot.json")}: invalid meshproof snapshot: "objects" must be an array of Kubernetes objects. Write the snapshot again with meshproof snapshot.`,
    );
  });

  it("rejects corrupt gzip data", async () => {
    const truncated = gzipSync(JSON.stringify(snapshotDocument)).subarray(0, 20);
    const folder = await writeTree({ "snapshot.json.gz": truncated });
    await assertReadFails(
      folder,
      new RegExp(
        `^${escapeRegExp(path.join(folder, "snapshot.json.gz"))}: invalid gzip data: .+\\. Write the file again or remove it from the snapshot folder\\.$`,
      ),
    );
  });
});

describe("readSnapshot errors", () => {
  it("reports malformed YAML with file, line and column", async () => {
    const folder = await writeTree({
      "good.yaml": POD_YAML,
      "broken.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: web-1
   namespace: shop
`,
    });
    const error = await assertReadFails(
      folder,
      `${path.join(folder, "broken.yaml")}:5:13: invalid YAML: bad indentation of a mapping entry. Fix the document or remove the file from the snapshot folder.`,
    );
    assert.equal(error.name, "InputError");
  });

  it("reports the file line of an error in a later document", async () => {
    const folder = await writeTree({
      "objects.yaml": `${POD_YAML}---
${POD_YAML}---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web
`,
    });
    await assertReadFails(
      folder,
      `${path.join(folder, "objects.yaml")}:26:1: invalid YAML: deficient indentation. Fix the document or remove the file from the snapshot folder.`,
    );
  });

  it("reports malformed JSON with file, line and column", async () => {
    const folder = await writeTree({
      "pods.json": `{
    "kind": "PodList",
    "apiVersion": "v1",
    "items": [
        {"metadata": {"name": "a"}},
        {"metadata": {"name": "b"}
    ]
}
`,
    });
    await assertReadFails(
      path.join(folder, "pods.json"),
      `${path.join(folder, "pods.json")}:7:5: invalid JSON: expected ',' or '}' after a property value, found "]". Fix the document or remove the file from the snapshot folder.`,
    );
  });

  it("locates JSON syntax errors of several kinds", async () => {
    const cases: Array<[string, string]> = [
      ['{"a": 1,}', '1:9: invalid JSON: expected a property name in double quotes, found "}"'],
      ['{"a" 1}', "1:6: invalid JSON: expected ':' after a property name, found \"1\""],
      ["[1, 2", "1:6: invalid JSON: expected ',' or ']' after an array element, found the end of input"],
      ['{"a": "x\n"}', "1:9: invalid JSON: control character in a string (write it as an escape such as \\n)"],
      ['{"a": 01}', "1:7: invalid JSON: invalid number"],
      ['{"a": tru}', "1:7: invalid JSON: invalid literal (expected true)"],
      ['{"a": "\\q"}', "1:8: invalid JSON: invalid escape sequence in a string"],
      [
        '{"a": 1}\n{"b": 2}',
        "2:1: invalid JSON: unexpected text after the end of the JSON value (one .json file holds one document)",
      ],
      ['{"a": "open', "1:7: invalid JSON: unterminated string"],
    ];
    for (const [text, expected] of cases) {
      const folder = await writeTree({ "x.json": text });
      const file = path.join(folder, "x.json");
      await assertReadFails(file, `${file}:${expected}. Fix the document or remove the file from the snapshot folder.`);
    }
  });

  it("rejects a folder without snapshot files", async () => {
    const folder = await writeTree({ "logs.txt": "not a snapshot file\n" });
    await assertReadFails(
      folder,
      `snapshot folder ${folder} contains no .yaml, .yml, .json or .json.gz files. Pass a file or folder written by kubectl get -o yaml, kubectl cluster-info dump or meshproof snapshot.`,
    );
  });

  it("rejects files that contain no objects", async () => {
    const folder = await writeTree({
      "empty.yaml": "# nothing here\n---\n",
      "mesh.yaml": "defaultConfig:\n  image:\n    imageType: distroless\n",
      "secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n",
    });
    await assertReadFails(
      folder,
      `no Kubernetes objects found in snapshot folder ${folder}: read 3 files, skipped 1 document and dropped 1 Secret. First skipped: mesh.yaml:1 (missing apiVersion and kind, so it is not a Kubernetes object). Pass a file or folder written by kubectl get -o yaml, kubectl cluster-info dump or meshproof snapshot.`,
    );
  });

  it("rejects an empty file", async () => {
    const folder = await writeTree({ "empty.yaml": "" });
    const file = path.join(folder, "empty.yaml");
    await assertReadFails(
      file,
      `no Kubernetes objects found in ${file}. Pass a file or folder written by kubectl get -o yaml, kubectl cluster-info dump or meshproof snapshot.`,
    );
  });

  it("rejects a path that does not exist", async () => {
    const folder = await writeTree({});
    const missing = path.join(folder, "no-such-snapshot");
    await assertReadFails(
      missing,
      `snapshot path not found: ${missing}. Pass a file or folder written by kubectl get -o yaml, kubectl cluster-info dump or meshproof snapshot.`,
    );
  });
});

/** Lists the YAML files under a folder, relative and sorted as the reader sorts them. */
async function listYamlFiles(folder: string, relativeFolder = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(path.join(folder, relativeFolder), { withFileTypes: true })) {
    const relativePath = relativeFolder === "" ? entry.name : `${relativeFolder}/${entry.name}`;
    if (entry.isDirectory()) {
      files.push(...(await listYamlFiles(folder, relativePath)));
    } else if (/\.ya?ml$/.test(entry.name)) {
      files.push(relativePath);
    }
  }
  // The default sort compares UTF-16 code units, as the reader does.
  return files.sort();
}

describe("readSnapshot on Istio analyzer test data", () => {
  const available = existsSync(externalTestdata);
  it("counts the same objects as an independent js-yaml pass", {
    skip: available ? false : `external test data not found at ${externalTestdata}`,
  }, async () => {
    const files = await listYamlFiles(externalTestdata);
    const lastCopyByKey = new Map<string, string>();
    let documentsWithoutKind = 0;
    let duplicateCopies = 0;
    let secrets = 0;
    const flatten = (document: unknown): unknown[] => {
      const record = document as { kind?: unknown; items?: unknown };
      if (typeof record?.kind === "string" && record.kind.endsWith("List") && Array.isArray(record.items)) {
        return record.items;
      }
      return [document];
    };
    for (const file of files) {
      const text = await readFile(path.join(externalTestdata, file), "utf8");
      for (const document of loadAll(text, { schema: CORE_SCHEMA }).flatMap(flatten)) {
        if (document === null || document === undefined) {
          continue;
        }
        const object = document as KubeObject;
        if (object.kind === "Secret") {
          secrets++;
          continue;
        }
        if (typeof object.kind !== "string" || typeof object.apiVersion !== "string") {
          documentsWithoutKind++;
          continue;
        }
        const key = objectKey(object);
        if (lastCopyByKey.has(key)) {
          duplicateCopies++;
        }
        lastCopyByKey.set(key, object.kind);
      }
    }
    const expectedByKind: Record<string, number> = {};
    for (const kind of lastCopyByKey.values()) {
      expectedByKind[kind] = (expectedByKind[kind] ?? 0) + 1;
    }

    const state = await readSnapshot(externalTestdata);

    assert.deepEqual(state.input.files, files);
    assert.deepEqual(state.input.objectsByKind, expectedByKind);
    assert.equal(state.objects.length, lastCopyByKey.size);
    assert.equal(state.input.secretsDropped, secrets);
    // The data repeats objects across files (a DestinationRule db-mtls in five of them, for example).
    assert.ok(duplicateCopies > 0, "the test data is expected to repeat objects across files");
    assert.equal(state.input.duplicates.length, duplicateCopies);
    assert.equal(state.input.skippedDocuments.length, documentsWithoutKind);
    for (const skipped of state.input.skippedDocuments) {
      assert.equal(skipped.line, 1, `${skipped.file}: the mesh config documents start on line 1`);
      assert.equal(skipped.reason, "missing apiVersion and kind, so it is not a Kubernetes object");
    }
    assert.equal(state.capturedAt, undefined);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("readSnapshot on meshproof's own files", () => {
  it("rejects a rollout plan passed as a snapshot", async () => {
    const folder = await writeTree({
      "plan.yaml": "apiVersion: meshproof.dev/v1alpha1\nkind: RolloutPlan\nmetadata:\n  name: x\nspec: {}\n",
    });
    await assert.rejects(readSnapshot(path.join(folder, "plan.yaml")), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /plan\.yaml:1 \(a RolloutPlan is not cluster state; pass it with --plan instead\)/);
      return true;
    });
  });
});
