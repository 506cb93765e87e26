/**
 * Generates the bundled example snapshot in examples/snapshot: the cluster lynkedup-tech as
 * `kubectl get -o yaml` would have returned it at 2026-06-28T21:40:00Z, near the end of the
 * maintenance window that meshed the HTTP apps in namespace `sre`.
 *
 * Run `node --import tsx scripts/gen-example.ts` to rewrite the files, or add `--check` to only
 * report whether the committed files match. Output is deterministic because UIDs, name suffixes and
 * digests are derived from object names and IPs are assigned in a fixed order, so a re-run without
 * code changes rewrites nothing.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dump, visit } from "js-yaml";
import type { Doc } from "./gen-example/common.js";
import { CAPTURED_AT, CLUSTER, NODES, resetAddressAllocation } from "./gen-example/common.js";
import { istioSystem } from "./gen-example/istio-system.js";
import { env, httpGetProbe, managedLabelField, namespace, nodeDoc } from "./gen-example/objects.js";
import { externalSecrets, ingressNginx, kubeSystem, monitoring, simpleApp, vault } from "./gen-example/outside-mesh.js";
import { spire } from "./gen-example/spire.js";
import { sre } from "./gen-example/sre.js";

// ---------------------------------------------------------------------------------------------
// Files

function namespaces(): Doc[] {
  return [
    namespace("default", "2026-03-02T10:14:49Z"),
    namespace("kube-node-lease", "2026-03-02T10:14:49Z"),
    namespace("kube-public", "2026-03-02T10:14:49Z"),
    namespace("kube-system", "2026-03-02T10:14:49Z"),
    namespace("ingress-nginx", "2026-03-02T11:05:31Z"),
    namespace("monitoring", "2026-03-05T14:40:10Z"),
    namespace("sre", "2026-03-02T10:31:07Z", { "istio-injection": "enabled" }, [
      managedLabelField("kubectl-label", "2026-06-28T18:02:11Z", ["istio-injection"], false),
    ]),
    namespace("vault", "2026-04-02T09:19:58Z"),
    namespace("external-secrets", "2026-04-03T11:02:31Z"),
    namespace("keycloak", "2026-04-11T08:55:12Z"),
    namespace("website", "2026-05-02T12:01:44Z"),
    namespace("spire-server", "2026-06-25T15:09:58Z"),
    namespace("spire-system", "2026-06-25T15:09:58Z"),
    namespace("istio-system", "2026-06-28T18:00:21Z"),
  ];
}

interface ExampleFile {
  name: string;
  description: string;
  docs: Doc[];
}

const KIND_ORDER = [
  "Namespace",
  "Node",
  "ServiceAccount",
  "ConfigMap",
  "Secret",
  "Service",
  "Deployment",
  "ReplicaSet",
  "StatefulSet",
  "DaemonSet",
  "Job",
  "Pod",
  "Ingress",
];

/** Groups documents by kind, as `kubectl get kind1,kind2 -o yaml` lists them. */
function byKind(docs: Doc[]): Doc[] {
  const rank = (doc: Doc): number => {
    const index = KIND_ORDER.indexOf(doc.kind as string);
    return index === -1 ? KIND_ORDER.length : index;
  };
  return docs
    .map((doc, position) => ({ doc, position }))
    .sort((a, b) => rank(a.doc) - rank(b.doc) || a.position - b.position)
    .map((entry) => entry.doc);
}

function exampleFiles(): ExampleFile[] {
  resetAddressAllocation();
  return [
    {
      name: "capture.yaml",
      description: "When and from which cluster the snapshot was taken.",
      docs: [{ apiVersion: "meshproof.dev/v1alpha1", kind: "CaptureInfo", capturedAt: CAPTURED_AT, cluster: CLUSTER }],
    },
    { name: "nodes.yaml", description: "The six worker nodes.", docs: NODES.map(nodeDoc) },
    {
      name: "cluster.yaml",
      description: "Namespaces (captured with --show-managed-fields) and kube-system.",
      docs: [...namespaces(), ...byKind(kubeSystem())],
    },
    {
      name: "istio-system.yaml",
      description: "istiod, its config and the injector webhook.",
      docs: byKind(istioSystem()),
    },
    {
      name: "spire.yaml",
      description: "SPIRE server (spire-server), agents and SPIFFE CSI driver (spire-system), ClusterSPIFFEID.",
      docs: byKind(spire()),
    },
    {
      name: "sre.yaml",
      description: "Namespace sre: meshed apps, workers, datastores, mesh policy.",
      docs: byKind(sre()),
    },
    { name: "vault.yaml", description: "Namespace vault: Vault, outside the mesh.", docs: byKind(vault()) },
    {
      name: "external-secrets.yaml",
      description: "Namespace external-secrets: the ESO controller and its ClusterSecretStore.",
      docs: byKind(externalSecrets()),
    },
    {
      name: "ingress-nginx.yaml",
      description: "Namespace ingress-nginx: the ingress controller.",
      docs: byKind(ingressNginx()),
    },
    {
      name: "keycloak.yaml",
      description: "Namespace keycloak: a control service outside the mesh.",
      docs: byKind(
        simpleApp({
          namespace: "keycloak",
          name: "keycloak",
          image: "quay.io/keycloak/keycloak:25.0.6",
          created: "2026-04-11T08:55:24Z",
          podCreated: "2026-06-03T13:18:09Z",
          node: 1,
          containerPort: 8080,
          args: [
            "start",
            "--optimized",
            "--http-enabled=true",
            "--proxy-headers=xforwarded",
            "--hostname=auth.example.com",
          ],
          env: [
            env("KC_HEALTH_ENABLED", "true"),
            env("KC_DB", "postgres"),
            env("KC_DB_URL_HOST", "keycloak-db.keycloak.svc.cluster.local"),
          ],
          extraPorts: [{ name: "management", containerPort: 9000 }],
          readiness: httpGetProbe("/health/ready", 9000, { initialDelaySeconds: 30 }),
          host: "auth.example.com",
        }),
      ),
    },
    {
      name: "website.yaml",
      description: "Namespace website: another control service outside the mesh.",
      docs: byKind(
        simpleApp({
          namespace: "website",
          name: "website",
          image: "registry.example.com/lynkedup/website:2026.06.1",
          created: "2026-05-02T12:01:58Z",
          podCreated: "2026-06-19T10:44:30Z",
          node: 2,
          containerPort: 8080,
          readiness: httpGetProbe("/", 8080, { initialDelaySeconds: 3 }),
          host: "www.example.com",
        }),
      ),
    },
    {
      name: "monitoring.yaml",
      description: "Namespace monitoring: Prometheus, outside the mesh.",
      docs: byKind(monitoring()),
    },
  ];
}

/** Drops undefined fields so the YAML holds only what an API server would return. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === "object") {
    const out: Doc = {};
    for (const [key, entry] of Object.entries(value)) {
      if (entry !== undefined) out[key] = clean(entry);
    }
    return out;
  }
  return value;
}

/** Serializes one document the way kubectl prints it: keys sorted, lists not indented. */
function toYaml(doc: Doc): string {
  return dump(clean(doc), {
    lineWidth: -1,
    seqNoIndent: true,
    noRefs: true,
    transform: (documents) =>
      visit(documents, (node) => {
        if (node.kind === "mapping") {
          node.items.sort((a, b) => {
            const left = a.key.kind === "scalar" ? a.key.value : "";
            const right = b.key.kind === "scalar" ? b.key.value : "";
            if (left === right) return 0;
            return left < right ? -1 : 1;
          });
        }
      }),
  });
}

/** Builds every example file: file name to YAML text. */
export function buildExampleFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const file of exampleFiles()) {
    const header = [
      "# Example cluster lynkedup-tech, captured 2026-06-28T21:40:00Z. Generated by scripts/gen-example.ts;",
      `# edit the generator, not this file. ${file.description}`,
    ].join("\n");
    const body = file.docs.map((doc) => `---\n${toYaml(doc)}`).join("");
    files.set(file.name, `${header}\n${body}`);
  }
  return files;
}

export const SNAPSHOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../examples/snapshot");

function main(argv: string[]): number {
  const check = argv.includes("--check");
  const files = buildExampleFiles();
  const stale: string[] = [];
  if (!check) mkdirSync(SNAPSHOT_DIR, { recursive: true });
  for (const [name, text] of files) {
    const target = path.join(SNAPSHOT_DIR, name);
    let current: string | undefined;
    try {
      current = readFileSync(target, "utf8");
    } catch {
      current = undefined;
    }
    if (current === text) continue;
    stale.push(name);
    if (!check) writeFileSync(target, text);
  }
  if (check) {
    if (stale.length > 0) {
      console.error(
        `examples/snapshot is out of date: ${stale.join(", ")}. Run: node --import tsx scripts/gen-example.ts`,
      );
      return 1;
    }
    console.log(`examples/snapshot matches the generator (${files.size} files).`);
    return 0;
  }
  console.log(`wrote ${stale.length} of ${files.size} files in ${path.relative(process.cwd(), SNAPSHOT_DIR) || "."}`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
