import type { IstiodMeshEvidence } from "../collect/types.js";
import type { ClusterModel, PodView } from "../model/cluster.js";
import { subjectOf } from "../model/kube.js";
import { ISTIO_SPIFFE_TEMPLATE, type SpireConfigSource } from "../model/spire.js";
import type { RolloutPlan } from "../plan/schema.js";
import { envValue } from "./control-plane.js";
import { objectEvidence, table, yamlExcerpt } from "./evidence.js";
import type { CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

const ISTIO_DEFAULT_TRUST_DOMAIN = "cluster.local";

/**
 * Istio accepts only `spiffe://<td>/ns/<namespace>/sa/<service account>`. The trust domain part
 * may be the template variable or a literal, which must then equal the shared trust domain.
 */
const ISTIO_TEMPLATE_FORM =
  /^spiffe:\/\/(\{\{\s*\.TrustDomain\s*\}\}|[^/{}\s]+)\/ns\/\{\{\s*\.PodMeta\.Namespace\s*\}\}\/sa\/\{\{\s*\.PodSpec\.ServiceAccountName\s*\}\}$/;

type SourceRole = "istio" | "istiod-live" | "policy" | "spire" | "clusterspiffeid";

/** One place that names a trust domain. */
interface TrustDomainSource {
  role: SourceRole;
  /** Name of the source in messages, e.g. `the Istio mesh config (ConfigMap istio-system/istio)`. */
  label: string;
  subject: string;
  value: string;
  /** Extra words after the value, such as why it is the default. */
  note?: string;
}

interface Gathered {
  sources: TrustDomainSource[];
  findings: Finding[];
  evidence: Evidence[];
  /** ClusterSPIFFEIDs whose template uses `{{ .TrustDomain }}` and so follow SPIRE's value. */
  templatesFollowingSpire: string[];
  /** Short phrases for the summary, one per failing or warning finding that is not a mismatch. */
  problems: string[];
}

function runTrustDomain(model: ClusterModel, plan: RolloutPlan | undefined): CheckOutcome {
  const gathered: Gathered = { sources: [], findings: [], evidence: [], templatesFollowingSpire: [], problems: [] };
  gatherMeshConfig(model, gathered);
  gatherDebugMesh(model, gathered);
  gatherPlan(plan, gathered);
  const spireUsed = gatherSpire(model, gathered);
  gatherClusterSpiffeIds(model, gathered);

  const { sources, findings, evidence, problems } = gathered;
  const reference =
    sources.find((source) => source.role === "policy") ??
    sources.find((source) => source.role === "spire") ??
    sources.find((source) => source.role === "istiod-live") ??
    sources.find((source) => source.role === "istio");

  if (!reference) {
    findings.push({
      subject: subjectOf("ConfigMap", model.options.istioNamespace, "istio"),
      verdict: "unknown",
      message: "No trust domain could be read from Istio, SPIRE or a plan, so there is nothing to compare.",
      hint: "Include ConfigMap istio-system/istio and the SPIRE ConfigMaps in the snapshot, and pass --plan.",
    });
    return { summary: "Unknown: no trust domain found in the input.", findings, evidence };
  }

  // Every source must name the reference's trust domain.
  const mismatches = sources.filter((source) => source !== reference && source.value !== reference.value);
  const agreeing = sources.filter((source) => source.value === reference.value).map((source) => source.label);
  for (const source of mismatches) {
    findings.push({
      subject: source.subject,
      verdict: "fail",
      message: `${capitalize(source.label)} names trust domain ${source.value}${source.note ? ` (${source.note})` : ""}, but ${joinWords(agreeing)} name${agreeing.length === 1 ? "s" : ""} ${reference.value}. Peers reject each other's certificates with SAN matcher errors, and the policy layer never sees the caller IDs it expects.`,
      hint: hintFor(source, reference.value),
    });
  }

  // cluster.local is Istio's default: with SPIRE it means the trust domain was never set.
  const defaulted = sources.filter(
    (source) => source.value === ISTIO_DEFAULT_TRUST_DOMAIN && !mismatches.includes(source),
  );
  for (const source of defaulted) {
    findings.push({
      subject: source.subject,
      verdict: spireUsed ? "fail" : "warn",
      message: `${capitalize(source.label)} names ${ISTIO_DEFAULT_TRUST_DOMAIN}, Istio's default trust domain${
        spireUsed
          ? "; with SPIRE the mesh needs its own trust domain, set the same everywhere"
          : "; a mesh should set its own"
      }.`,
      hint: "Choose one trust domain and set it in meshConfig.trustDomain, SPIRE's server and agent trust_domain, the controller-manager and the plan.",
    });
  }
  if (defaulted.length > 0) problems.push(`${ISTIO_DEFAULT_TRUST_DOMAIN} is Istio's default trust domain`);

  const meshSubject = model.mesh.source ?? subjectOf("ConfigMap", model.options.istioNamespace, "istio");
  if (model.mesh.source && !model.mesh.error && !model.mesh.enableAutoMtls) {
    findings.push({
      subject: meshSubject,
      verdict: "fail",
      message:
        "enableAutoMtls is false: sidecars send plaintext to meshed peers unless a DestinationRule sets ISTIO_MUTUAL, so identities are not used.",
      hint: "Remove enableAutoMtls: false from the mesh config (the default is true).",
    });
    problems.push("enableAutoMtls is false");
  }
  if (model.mesh.trustDomainAliases.length > 0) {
    findings.push({
      subject: meshSubject,
      verdict: "warn",
      message: `trustDomainAliases is set (${model.mesh.trustDomainAliases.join(", ")}): sidecars also accept peers and AuthorizationPolicy principals from these trust domains. Do not use aliases to hide a mismatch.`,
      hint: "Remove the aliases once every workload presents the primary trust domain.",
    });
    problems.push(`trustDomainAliases ${model.mesh.trustDomainAliases.join(", ")}`);
  }

  const expected = reference.value;
  const stalePods = checkPodTrustDomains(model, sources, findings, evidence);
  const callerId = checkCallerIdTemplate(plan, expected, findings, problems);

  const failed = findings.some((finding) => finding.verdict === "fail");
  if (!failed && mismatches.length === 0) {
    findings.push({
      subject: reference.subject,
      verdict: "pass",
      message: `All ${sources.length} sources name ${expected}: ${sources.map((source) => source.label).join("; ")}.`,
    });
  }

  return {
    summary: summarize(gathered, reference, mismatches, stalePods, callerId),
    findings,
    evidence,
    facts: { trustDomain: failed ? undefined : expected },
  };
}

function gatherMeshConfig(model: ClusterModel, gathered: Gathered): void {
  const mesh = model.mesh;
  const namespace = model.options.istioNamespace;
  const name = mesh.source?.split("/")[1] ?? "istio";
  const command = `kubectl -n ${namespace} get cm ${name} -o jsonpath='{.data.mesh}'`;
  if (!mesh.source) {
    gathered.findings.push({
      subject: subjectOf("ConfigMap", namespace, "istio"),
      verdict: "unknown",
      message: `ConfigMap ${namespace}/istio is not in the input, so Istio's configured trust domain is unknown.`,
      hint: `Add it to the snapshot: kubectl -n ${namespace} get cm istio -o yaml`,
    });
    gathered.evidence.push(objectEvidence(command, "(ConfigMap not in the input)"));
    return;
  }
  if (mesh.error) {
    gathered.findings.push({
      subject: mesh.source,
      verdict: "unknown",
      message: `${mesh.error}; Istio's trust domain cannot be read from it.`,
      hint: `kubectl -n ${namespace} get cm ${name} -o jsonpath='{.data.mesh}'`,
    });
    gathered.evidence.push(objectEvidence(command, mesh.raw ?? "(no mesh key)"));
    return;
  }
  const defaulted = mesh.defaulted.includes("trustDomain");
  gathered.sources.push({
    role: "istio",
    label: `the Istio mesh config (${mesh.source})`,
    subject: mesh.source,
    value: mesh.trustDomain,
    note: defaulted ? "trustDomain is not set, so Istio uses its default" : undefined,
  });
  gathered.evidence.push(objectEvidence(command, meshExcerpt(mesh.raw ?? "", defaulted)));
}

function meshExcerpt(raw: string, defaulted: boolean): string {
  const lines = raw.split("\n");
  const picked: string[] = [];
  let inAliases = false;
  for (const line of lines) {
    if (/^\s*trustDomainAliases\s*:/.test(line)) {
      inAliases = true;
      picked.push(line);
      continue;
    }
    if (inAliases && /^\s*-\s/.test(line)) {
      picked.push(line);
      continue;
    }
    inAliases = false;
    if (/^\s*(trustDomain|enableAutoMtls)\s*:/.test(line)) picked.push(line);
  }
  if (defaulted) picked.push(`# trustDomain not set: Istio uses ${ISTIO_DEFAULT_TRUST_DOMAIN}`);
  return picked.length ? picked.join("\n") : "(no trustDomain, trustDomainAliases or enableAutoMtls keys)";
}

function gatherDebugMesh(model: ClusterModel, gathered: Gathered): void {
  const item = model.evidence.find(
    (candidate): candidate is IstiodMeshEvidence => candidate.type === "istiod-debug-mesh",
  );
  const istiodSubject = subjectOf("Deployment", model.options.istioNamespace, "istiod");
  if (!item) {
    gathered.findings.push({
      subject: istiodSubject,
      verdict: model.live ? "unknown" : "skip",
      message: model.live
        ? "The live run recorded no istiod /debug/mesh result, so the effective trust domain was not compared."
        : "istiod /debug/mesh not read: snapshot input. A live run reads the effective MeshConfig from istiod on port 15014.",
    });
    return;
  }
  const subject = subjectOf("Pod", item.namespace, item.pod);
  if (item.error) {
    gathered.findings.push({
      subject,
      verdict: "unknown",
      message: `istiod /debug/mesh could not be read (${item.error.reason}): ${item.error.message}`,
      hint: item.error.permission ? `Grant "${item.error.permission}" to meshproof's identity.` : undefined,
    });
    return;
  }
  const trustDomain = item.mesh?.trustDomain;
  gathered.evidence.push({
    command: item.command,
    output: typeof trustDomain === "string" ? `"trustDomain": "${trustDomain}"` : item.output.slice(0, 400),
    source: "live",
  });
  if (typeof trustDomain !== "string" || trustDomain === "") {
    gathered.findings.push({
      subject,
      verdict: "unknown",
      message: "istiod /debug/mesh returned no trustDomain field.",
    });
    return;
  }
  gathered.sources.push({
    role: "istiod-live",
    label: `the effective mesh config from istiod /debug/mesh (pod ${item.pod})`,
    subject,
    value: trustDomain,
  });
}

function gatherPlan(plan: RolloutPlan | undefined, gathered: Gathered): void {
  if (!plan) {
    gathered.findings.push({
      subject: "RolloutPlan (none)",
      verdict: "skip",
      message: "No plan given, so the policy contract's trust domain was not compared (pass --plan FILE).",
    });
    return;
  }
  gathered.sources.push({
    role: "policy",
    label: "the policy contract (plan spec.trustDomain)",
    subject: subjectOf("RolloutPlan", undefined, plan.metadata.name),
    value: plan.spec.trustDomain,
  });
}

/** Adds SPIRE's configured trust domains; returns whether SPIRE is deployed at all. */
function gatherSpire(model: ClusterModel, gathered: Gathered): boolean {
  const spire = model.spire;
  const deployed =
    spire.server !== undefined ||
    spire.agent !== undefined ||
    spire.clusterSpiffeIds.length > 0 ||
    spire.configs.length > 0;
  for (const config of spire.configs) {
    if (!config.trustDomain) continue;
    gathered.sources.push({
      role: "spire",
      label: `${spireComponent(config)} config (${config.subject}, ${config.key})`,
      subject: config.subject,
      value: config.trustDomain,
    });
  }
  const byConfigMap = new Map<string, SpireConfigSource[]>();
  for (const config of spire.configs) {
    const list = byConfigMap.get(config.subject) ?? [];
    list.push(config);
    byConfigMap.set(config.subject, list);
  }
  for (const [subject, configs] of byConfigMap) {
    const [namespace, name] = subject.replace(/^ConfigMap /, "").split("/");
    const body = configs.map((config) => `  ${config.key}: |\n    ...\n    ${config.excerpt}\n    ...`).join("\n");
    gathered.evidence.push(objectEvidence(`kubectl -n ${namespace} get cm ${name} -o yaml`, `data:\n${body}`));
  }
  if (deployed && spire.configs.every((config) => !config.trustDomain)) {
    gathered.findings.push({
      subject: spire.server
        ? subjectOf(
            spire.server.workload.kind,
            spire.server.workload.metadata.namespace,
            spire.server.workload.metadata.name,
          )
        : "ConfigMap spire-server",
      verdict: "unknown",
      message:
        "SPIRE is deployed, but no SPIRE server, agent or controller-manager ConfigMap with a trust_domain is in the input.",
      hint: "Add the SPIRE ConfigMaps to the snapshot: kubectl -n <spire-namespace> get cm -o yaml",
    });
  }
  return deployed;
}

function spireComponent(config: SpireConfigSource): string {
  if (/controller-manager/.test(config.subject)) return "the spire-controller-manager";
  if (/agent/.test(config.key) || /agent/.test(config.subject)) return "the SPIRE agent";
  return "the SPIRE server";
}

function gatherClusterSpiffeIds(model: ClusterModel, gathered: Gathered): void {
  const issues = model.issuesFor("clusterspiffeids.spire.spiffe.io");
  if (issues.length > 0) {
    gathered.findings.push({
      subject: "Resource clusterspiffeids.spire.spiffe.io",
      verdict: "unknown",
      message: `ClusterSPIFFEIDs could not be read (${issues.map((issue) => issue.reason).join(", ")}), so their ID templates were not compared.`,
      hint: issues[0]?.permission ? `Grant "${issues[0].permission}" to meshproof's identity.` : undefined,
    });
    return;
  }
  const objects = model.spire.clusterSpiffeIds;
  if (objects.length === 0) return;
  for (const object of objects) {
    const subject = subjectOf("ClusterSPIFFEID", undefined, object.metadata.name);
    const template =
      typeof object.spec?.spiffeIDTemplate === "string" ? object.spec.spiffeIDTemplate.trim() : undefined;
    const match = template ? ISTIO_TEMPLATE_FORM.exec(template) : null;
    if (!template || !match) {
      gathered.findings.push({
        subject,
        verdict: "fail",
        message: template
          ? `spiffeIDTemplate ${template} is not the form Istio requires (${ISTIO_SPIFFE_TEMPLATE}): proxies receive SVIDs whose SAN does not match the identity Istio expects, and handshakes fail.`
          : "The ClusterSPIFFEID has no spiffeIDTemplate.",
        hint: `Set spec.spiffeIDTemplate: "${ISTIO_SPIFFE_TEMPLATE}"`,
      });
      gathered.problems.push(`ClusterSPIFFEID ${object.metadata.name} is not in Istio's ID form`);
      continue;
    }
    const trustDomainPart = match[1] ?? "";
    if (trustDomainPart.startsWith("{{")) {
      gathered.templatesFollowingSpire.push(object.metadata.name);
    } else {
      gathered.sources.push({
        role: "clusterspiffeid",
        label: `the spiffeIDTemplate of ClusterSPIFFEID ${object.metadata.name} (a literal trust domain)`,
        subject,
        value: trustDomainPart,
      });
    }
  }
  gathered.evidence.push(
    objectEvidence(
      "kubectl get clusterspiffeid -o yaml",
      yamlExcerpt({
        items: objects.map((object) => ({
          metadata: { name: object.metadata.name },
          spec: { spiffeIDTemplate: object.spec?.spiffeIDTemplate },
        })),
      }),
    ),
  );
}

/**
 * Pods freeze the istio-proxy TRUST_DOMAIN env at injection; a pod that differs from Istio's
 * current value was injected before a trust-domain change. Returns the number of such pods.
 */
function checkPodTrustDomains(
  model: ClusterModel,
  sources: TrustDomainSource[],
  findings: Finding[],
  evidence: Evidence[],
): number {
  const istio =
    sources.find((source) => source.role === "istiod-live") ?? sources.find((source) => source.role === "istio");
  if (!istio) return 0;
  const stale = new Map<string, PodView[]>();
  for (const pod of model.pods) {
    if (pod.sidecar.kind === "none") continue;
    const value = envValue(pod.sidecar.container, "TRUST_DOMAIN").value;
    if (value === undefined || value === istio.value) continue;
    const list = stale.get(pod.workload) ?? [];
    list.push(pod);
    stale.set(pod.workload, list);
  }
  let count = 0;
  const rows: string[][] = [];
  for (const [workload, pods] of stale) {
    count += pods.length;
    const values = [...new Set(pods.map((pod) => envValue(pod.sidecar.container, "TRUST_DOMAIN").value ?? ""))];
    findings.push({
      subject: workload,
      verdict: "warn",
      message: `${pods.length} pod${pods.length === 1 ? "" : "s"} carry istio-proxy TRUST_DOMAIN=${values.join(", ")} while Istio now uses ${istio.value}: they were injected before the trust domain changed.`,
      hint: `Restart to re-inject: kubectl -n ${pods[0]?.namespace} rollout restart ${workloadTarget(workload)}`,
    });
    for (const pod of pods.slice(0, 10))
      rows.push([pod.namespace, pod.name, envValue(pod.sidecar.container, "TRUST_DOMAIN").value ?? ""]);
  }
  if (rows.length > 0) {
    evidence.push(
      objectEvidence(
        `kubectl get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}{"\\t"}{.metadata.name}{"\\t"}{.spec.containers[?(@.name=="istio-proxy")].env[?(@.name=="TRUST_DOMAIN")].value}{.spec.initContainers[?(@.name=="istio-proxy")].env[?(@.name=="TRUST_DOMAIN")].value}{"\\n"}{end}'`,
        table(["NAMESPACE", "NAME", "TRUST_DOMAIN"], rows),
      ),
    );
  }
  return count;
}

function workloadTarget(subject: string): string {
  const [kind, path] = subject.split(" ");
  const name = path?.split("/")[1] ?? "";
  return `${(kind ?? "").toLowerCase()}/${name}`;
}

/** Renders the caller ID the policy layer expects and checks its form; returns undefined without a plan. */
function checkCallerIdTemplate(
  plan: RolloutPlan | undefined,
  trustDomain: string,
  findings: Finding[],
  problems: string[],
): string | undefined {
  if (!plan) return undefined;
  const rendered = plan.spec.callerIdTemplate
    .replaceAll("{trustDomain}", trustDomain)
    .replaceAll("{namespace}", "<ns>")
    .replaceAll("{serviceAccount}", "<sa>");
  const subject = subjectOf("RolloutPlan", undefined, plan.metadata.name);
  const match = /^spiffe:\/\/([^/]+)(\/.*)?$/.exec(rendered);
  const istioForm = `spiffe://${trustDomain}/ns/<ns>/sa/<sa>`;
  if (!match) {
    findings.push({
      subject,
      verdict: "warn",
      message: `spec.callerIdTemplate renders to ${rendered}, which is not a SPIFFE ID; Istio presents callers as ${istioForm}.`,
      hint: "Set spec.callerIdTemplate to spiffe://{trustDomain}/ns/{namespace}/sa/{serviceAccount}.",
    });
    problems.push("the caller ID template is not a SPIFFE ID");
  } else if (match[1] !== trustDomain) {
    findings.push({
      subject,
      verdict: "fail",
      message: `spec.callerIdTemplate names trust domain ${match[1]} (${rendered}), but the mesh uses ${trustDomain}: the policy layer would match no caller.`,
      hint: "Use {trustDomain} in spec.callerIdTemplate instead of a literal.",
    });
    problems.push(`the caller ID template names ${match[1]}`);
  } else if (rendered !== istioForm) {
    findings.push({
      subject,
      verdict: "warn",
      message: `The policy layer expects caller IDs of the form ${rendered}, but Istio presents ${istioForm}.`,
      hint: "Align spec.callerIdTemplate with the Istio form, or map IDs in the policy layer.",
    });
    problems.push("the caller ID form differs from Istio's");
  }
  return rendered;
}

function summarize(
  gathered: Gathered,
  reference: TrustDomainSource,
  mismatches: TrustDomainSource[],
  stalePods: number,
  callerId: string | undefined,
): string {
  const { sources } = gathered;
  if (mismatches.length > 0) {
    const byValue = new Map<string, string[]>();
    for (const source of sources) {
      const list = byValue.get(source.value) ?? [];
      list.push(shortLabel(source));
      byValue.set(source.value, list);
    }
    const described = [...byValue.entries()].map(([value, labels]) => `${value} in ${joinWords(labels)}`).join("; ");
    return `Trust domain mismatch: ${described}.`;
  }
  const matched: string[] = [];
  if (sources.some((source) => source.role === "istiod-live")) matched.push("istiod's effective config");
  if (sources.some((source) => source.role === "spire")) matched.push("SPIRE");
  if (sources.some((source) => source.role === "clusterspiffeid") || gathered.templatesFollowingSpire.length > 0)
    matched.push("ClusterSPIFFEID");
  if (sources.some((source) => source.role === "policy")) matched.push("the policy contract");
  const caller = callerId ? ` (caller ID ${callerId})` : "";
  const base = matched.length
    ? `${reference.value} — matches ${joinWords(matched)}${caller}.`
    : `${reference.value}${caller}; no other source to compare.`;
  const notes = [...gathered.problems];
  if (stalePods > 0) notes.push(`${stalePods} pod${stalePods === 1 ? "" : "s"} still carry an older TRUST_DOMAIN`);
  return notes.length > 0 ? `${base} But: ${notes.join("; ")}.` : base;
}

function shortLabel(source: TrustDomainSource): string {
  switch (source.role) {
    case "istio":
      return `Istio (${source.subject})`;
    case "istiod-live":
      return "istiod /debug/mesh";
    case "policy":
      return "the policy contract";
    case "spire":
      return `SPIRE (${source.subject})`;
    case "clusterspiffeid":
      return source.subject;
  }
}

function hintFor(source: TrustDomainSource, expected: string): string {
  switch (source.role) {
    case "istio":
    case "istiod-live":
      return `Set meshConfig.trustDomain: ${expected} in the istiod Helm values (global.trustDomain alone does not change the mesh config), then restart istiod and the meshed workloads.`;
    case "spire":
      return `Set trust_domain = "${expected}" in ${source.subject} and restart SPIRE; changing SPIRE's trust domain re-issues every SVID.`;
    case "clusterspiffeid":
      return `Use {{ .TrustDomain }} in spec.spiffeIDTemplate instead of a literal: ${ISTIO_SPIFFE_TEMPLATE}`;
    case "policy":
      return `Correct spec.trustDomain in the plan to ${expected}, or align the cluster with the plan.`;
  }
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const trustDomainChecks: CheckDefinition[] = [
  {
    id: "MP-TD-01",
    category: "trust-domain",
    title: "Istio, SPIRE and the policy layer share one trust domain",
    proves:
      "Istio's mesh config, SPIRE's server, agent and controller-manager, the ClusterSPIFFEID templates and the plan's policy contract all name the same trust domain, which is not Istio's default.",
    reads: [
      "ConfigMap istio-system/istio (key mesh)",
      "istiod /debug/mesh (live)",
      "SPIRE server, agent and controller-manager ConfigMaps",
      "ClusterSPIFFEID spec.spiffeIDTemplate",
      "Pods (istio-proxy TRUST_DOMAIN env)",
      "Plan spec.trustDomain and spec.callerIdTemplate",
    ],
    // Pods too: a live run finds the istiod pod to read /debug/mesh from in the pod list.
    needs: ["configmaps", "pods"],
    run: ({ model, plan }) => runTrustDomain(model, plan),
  },
];
