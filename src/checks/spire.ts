import { load } from "js-yaml";
import type { SpireCliEvidence } from "../collect/types.js";
import type { ClusterModel, PodView } from "../model/cluster.js";
import type { KubeObject, LabelSelector } from "../model/kube.js";
import { objectSubject, subjectOf } from "../model/kube.js";
import { formatSelector, matchesSelector } from "../model/selectors.js";
import type { RolloutPlan } from "../plan/schema.js";
import { plural } from "../text.js";
import { objectEvidence, table, yamlExcerpt } from "./evidence.js";
import type { CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

type Component = "server" | "agent" | "csiDriver";

const DEFAULT_NAMES: Record<Component, { kind: string; name: string }> = {
  server: { kind: "StatefulSet", name: "spire-server" },
  agent: { kind: "DaemonSet", name: "spire-agent" },
  csiDriver: { kind: "DaemonSet", name: "spire-spiffe-csi-driver" },
};

const EXAMPLES_LIMIT = 3;

/** Finds a SPIRE component's controller object, its subject (the expected one when absent) and its pods. */
function component(model: ClusterModel, which: Component): { object?: KubeObject; subject: string; pods: PodView[] } {
  const found = model.spire[which];
  const ref = model.options.spire?.[which];
  const defaults = DEFAULT_NAMES[which];
  if (!found) {
    return { subject: subjectOf(defaults.kind, ref?.namespace, ref?.name ?? defaults.name), pods: [] };
  }
  const subject = objectSubject(found.workload);
  return { object: found.workload, subject, pods: model.workload(subject)?.pods ?? [] };
}

/** kubectl's READY column: ready regular containers over regular containers. */
export function readyColumn(pod: PodView): string {
  const names = new Set((pod.object.spec?.containers ?? []).map((container) => container.name));
  const statuses = (pod.object.status?.containerStatuses ?? []).filter((status) => names.has(status.name));
  return `${statuses.filter((status) => status.ready === true).length}/${names.size}`;
}

/** kubectl's STATUS column, roughly: a waiting reason wins over the phase. */
function statusColumn(pod: PodView): string {
  return pod.waitingReason ?? pod.phase;
}

function podRows(pods: PodView[]): string[][] {
  return pods.map((pod) => [
    pod.name,
    readyColumn(pod),
    statusColumn(pod),
    String(maxRestarts(pod)),
    pod.nodeName ?? "<none>",
  ]);
}

function maxRestarts(pod: PodView): number {
  return Math.max(0, ...(pod.object.status?.containerStatuses ?? []).map((status) => status.restartCount ?? 0));
}

function podsEvidence(namespace: string | undefined, pods: PodView[], label: string): Evidence {
  const command = `kubectl -n ${namespace ?? "<spire-namespace>"} get pods -o wide  # ${label} pods`;
  return objectEvidence(
    command,
    pods.length ? table(["NAME", "READY", "STATUS", "RESTARTS", "NODE"], podRows(pods)) : "No resources found.",
  );
}

/** Returns the newest spire-cli evidence whose arguments start with `prefix`. */
function spireCli(model: ClusterModel, prefix: string[]): SpireCliEvidence | undefined {
  const items = model.evidence.filter(
    (item): item is SpireCliEvidence =>
      item.type === "spire-cli" && prefix.every((part, index) => item.args[index] === part),
  );
  return items[items.length - 1];
}

function liveEvidence(item: SpireCliEvidence): Evidence {
  const output = item.error
    ? `error (${item.error.reason}): ${item.error.message}`
    : [item.stdout, item.stderr].filter(Boolean).join("\n").trim();
  return {
    command: item.command,
    output: `${output}${item.exitCode !== undefined ? `\n(exit code ${item.exitCode})` : ""}`.trim(),
    source: "live",
  };
}

/** Meshed pods grouped by node, from one pass over the pods. */
function meshedPodsByNode(model: ClusterModel): Map<string, PodView[]> {
  const byNode = new Map<string, PodView[]>();
  for (const pod of model.pods) {
    if (pod.sidecar.kind === "none" || !pod.nodeName) continue;
    const list = byNode.get(pod.nodeName) ?? [];
    list.push(pod);
    byNode.set(pod.nodeName, list);
  }
  return byNode;
}

function podsByNode(pods: PodView[]): Map<string, PodView[]> {
  const byNode = new Map<string, PodView[]>();
  for (const pod of pods) {
    if (!pod.nodeName) continue;
    const list = byNode.get(pod.nodeName) ?? [];
    list.push(pod);
    byNode.set(pod.nodeName, list);
  }
  return byNode;
}

function examples(pods: PodView[]): string {
  const names = pods.slice(0, EXAMPLES_LIMIT).map((pod) => `${pod.namespace}/${pod.name}`);
  return pods.length > EXAMPLES_LIMIT
    ? `${names.join(", ")} and ${pods.length - EXAMPLES_LIMIT} more`
    : names.join(", ");
}

/** Taints that keep pods without a toleration off the node. */
function blockingTaints(node: KubeObject | undefined): string[] {
  const taints = (node?.spec?.taints ?? []) as Array<{ key?: string; value?: string; effect?: string }>;
  return taints
    .filter((taint) => taint.effect === "NoSchedule" || taint.effect === "NoExecute")
    .map((taint) => `${taint.key ?? ""}${taint.value ? `=${taint.value}` : ""}:${taint.effect}`);
}

// ---------------------------------------------------------------------------------------------
// MP-SP-01 SPIRE server
// ---------------------------------------------------------------------------------------------

function runServer(model: ClusterModel): CheckOutcome {
  const server = component(model, "server");
  const findings: Finding[] = [];
  const evidence: Evidence[] = [];

  if (!server.object) {
    findings.push({
      subject: server.subject,
      verdict: "fail",
      message: `The SPIRE server StatefulSet (${server.subject}) is not in the input: no server means no SVID is issued or renewed.`,
      hint: "Check with `kubectl get statefulset -A | grep -i spire`, then set spec.spire.server in the plan if it has another name.",
    });
    return { summary: "No SPIRE server found.", findings, evidence };
  }

  const namespace = server.object.metadata.namespace;
  const replicas = typeof server.object.spec?.replicas === "number" ? server.object.spec.replicas : 1;
  const readyReplicas = Number(server.object.status?.readyReplicas ?? 0);
  evidence.push(
    objectEvidence(
      `kubectl -n ${namespace} get statefulset ${server.object.metadata.name}`,
      table(["NAME", "READY"], [[server.object.metadata.name, `${readyReplicas}/${replicas}`]]),
    ),
    podsEvidence(namespace, server.pods, "SPIRE server"),
  );

  const readyPods = server.pods.filter((pod) => pod.ready);
  const noneReady = server.pods.length > 0 ? readyPods.length === 0 : readyReplicas === 0;
  if (noneReady) {
    findings.push({
      subject: server.subject,
      verdict: "fail",
      message: `No ready SPIRE server replica (${readyReplicas}/${replicas}): no SVID is issued or renewed, and SVIDs expire within their TTL (about 1 h by default).`,
      hint: `kubectl -n ${namespace} describe statefulset ${server.object.metadata.name}; kubectl -n ${namespace} logs ${server.object.metadata.name}-0 -c spire-server`,
    });
  } else if (readyReplicas < replicas) {
    findings.push({
      subject: server.subject,
      verdict: "fail",
      message: `${readyReplicas}/${replicas} SPIRE server replicas ready.`,
      hint: `kubectl -n ${namespace} get pods -o wide; kubectl -n ${namespace} describe statefulset ${server.object.metadata.name}`,
    });
  }
  for (const pod of server.pods) {
    if (pod.ready) continue;
    findings.push({
      subject: pod.subject,
      verdict: "fail",
      message: `SPIRE server pod is not ready: ${readyColumn(pod)} containers ready, ${statusColumn(pod)}.`,
      hint: `kubectl -n ${pod.namespace} describe pod ${pod.name}; kubectl -n ${pod.namespace} logs ${pod.name} -c spire-server`,
    });
  }
  if (server.pods.length === 0 && !noneReady) {
    findings.push({
      subject: server.subject,
      verdict: "info",
      message: "The server pods are not in the input; readiness is read from the StatefulSet status.",
    });
  }

  // Live part: `spire-server healthcheck` exits 0 when the server responds on its socket.
  const healthcheck = spireCli(model, ["healthcheck"]);
  let healthy = false;
  if (healthcheck) {
    evidence.push(liveEvidence(healthcheck));
    const subject = subjectOf("Pod", healthcheck.namespace, healthcheck.pod);
    if (healthcheck.error) {
      findings.push({
        subject,
        verdict: "unknown",
        message: `spire-server healthcheck could not run (${healthcheck.error.reason}): ${healthcheck.error.message}`,
        hint: healthcheck.error.permission
          ? `Grant "${healthcheck.error.permission}" to meshproof's identity.`
          : undefined,
      });
    } else if (healthcheck.exitCode === 0) {
      healthy = true;
      findings.push({
        subject,
        verdict: "pass",
        message: `spire-server healthcheck exited 0: ${healthcheck.stdout.trim() || "healthy"}.`,
      });
    } else {
      findings.push({
        subject,
        verdict: "fail",
        message: `spire-server healthcheck exited ${healthcheck.exitCode ?? "without a code"}: ${(healthcheck.stderr || healthcheck.stdout).trim() || "no output"}.`,
        hint: `kubectl -n ${healthcheck.namespace} logs ${healthcheck.pod} -c spire-server`,
      });
    }
  } else {
    findings.push({
      subject: server.subject,
      verdict: model.live ? "unknown" : "skip",
      message: model.live
        ? "The live run recorded no spire-server healthcheck result."
        : "spire-server healthcheck not run: snapshot input; a live run execs it in the server container.",
    });
  }

  const podText = server.pods.map((pod) => `${pod.name} ${readyColumn(pod)} ${statusColumn(pod)}`).join(", ");
  const failed = findings.some((finding) => finding.verdict === "fail");
  if (!failed) {
    findings.push({
      subject: server.subject,
      verdict: "pass",
      message: `${readyReplicas}/${replicas} replicas ready${podText ? ` (${podText})` : ""}.`,
    });
  }
  const only = server.pods.length === 1 ? server.pods[0] : undefined;
  const readiness = only
    ? `server ${readyColumn(only)} ready (${podText})`
    : `server ${readyReplicas}/${replicas} replicas ready${podText ? ` (${podText})` : ""}`;
  const summary = failed
    ? `Not healthy: ${readiness}.`
    : `${capitalize(readiness)}${healthy ? "; healthcheck passed" : ""}.`;
  return { summary, findings, evidence };
}

// ---------------------------------------------------------------------------------------------
// MP-SP-02 an agent on every node with meshed pods
// ---------------------------------------------------------------------------------------------

interface AttestedAgent {
  id: string;
  nodeName?: string;
  nodeUid?: string;
  expiresAt?: number;
  banned: boolean;
}

/** Parses `spire-server agent list -output json`; undefined when the output is not that shape. */
export function parseAgentList(stdout: string): AttestedAgent[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const agents = (parsed as { agents?: unknown })?.agents;
  if (agents === undefined || agents === null) return [];
  if (!Array.isArray(agents)) return undefined;
  return agents.map((agent: Record<string, unknown>) => {
    const rawId = agent.id as string | { trust_domain?: string; path?: string } | undefined;
    // SPIRE's JSON output gives the ID as an object of trust domain and path. A plain string is accepted too.
    let id = "";
    if (typeof rawId === "string") id = rawId;
    else if (rawId) id = `spiffe://${rawId.trust_domain ?? ""}${rawId.path ?? ""}`;
    const selectors = Array.isArray(agent.selectors)
      ? (agent.selectors as Array<{ type?: string; value?: string }>)
      : [];
    const nodeSelector = selectors.find((selector) => /agent_node_name:/.test(selector.value ?? ""));
    const expires = Number(agent.x509svid_expires_at);
    return {
      id,
      nodeName: nodeSelector?.value?.replace(/^.*agent_node_name:/, ""),
      // k8s_psat agent IDs end in the node UID: spiffe://<td>/spire/agent/k8s_psat/<cluster>/<node-uid>
      nodeUid: /\/k8s_psat\/[^/]+\/([^/]+)$/.exec(id)?.[1],
      expiresAt: Number.isFinite(expires) && expires > 0 ? expires : undefined,
      banned: agent.banned === true,
    };
  });
}

function runAgents(model: ClusterModel): CheckOutcome {
  const agent = component(model, "agent");
  const findings: Finding[] = [];
  const evidence: Evidence[] = [];
  const meshedByNode = meshedPodsByNode(model);
  const nodeObjects = new Map(model.list("Node").map((node) => [node.metadata.name, node]));

  if (!agent.object) {
    findings.push({
      subject: agent.subject,
      verdict: "fail",
      message: `The SPIRE agent DaemonSet (${agent.subject}) is not in the input${
        meshedByNode.size ? `, and ${plural(meshedByNode.size, "node")} host meshed pods that then get no SVID` : ""
      }.`,
      hint: "Check with `kubectl get ds -A | grep -i spire`, then set spec.spire.agent in the plan if it has another name.",
    });
    return { summary: "No SPIRE agent DaemonSet found.", findings, evidence };
  }

  const namespace = agent.object.metadata.namespace;
  const status = agent.object.status ?? {};
  evidence.push(
    objectEvidence(
      `kubectl -n ${namespace} get ds ${agent.object.metadata.name}`,
      table(
        ["NAME", "DESIRED", "CURRENT", "READY"],
        [
          [
            agent.object.metadata.name,
            String(status.desiredNumberScheduled ?? "?"),
            String(status.currentNumberScheduled ?? "?"),
            String(status.numberReady ?? "?"),
          ],
        ],
      ),
    ),
    podsEvidence(namespace, agent.pods, "SPIRE agent"),
  );

  const agentsByNode = podsByNode(agent.pods);
  const nodes = [...new Set([...nodeObjects.keys(), ...meshedByNode.keys(), ...agentsByNode.keys()])].sort();
  const missing: string[] = [];
  // Tainted or cordoned nodes without an agent and without meshed pods need no action.
  const sidelined: Array<{ node: string; text: string }> = [];
  for (const node of nodes) {
    const meshed = meshedByNode.get(node) ?? [];
    const agents = agentsByNode.get(node) ?? [];
    if (agents.some((pod) => pod.ready)) continue;
    const taints = blockingTaints(nodeObjects.get(node));
    const agentState = agents.length
      ? `agent ${agents.map((pod) => `${pod.name} is ${readyColumn(pod)} ${statusColumn(pod)}`).join(", ")}`
      : "no SPIRE agent pod runs there";
    const taintNote = taints.length ? ` Node taints: ${taints.join(", ")}.` : "";
    if (meshed.length > 0) {
      missing.push(node);
      findings.push({
        subject: subjectOf("Node", undefined, node),
        verdict: "fail",
        message: `${plural(meshed.length, "meshed pod")} (${examples(meshed)}) run here, but ${agentState}: their proxies cannot get an SVID.${taintNote}`,
        hint: agents.length
          ? `kubectl -n ${namespace} describe pod ${agents[0]?.name}; kubectl -n ${namespace} logs ${agents[0]?.name}`
          : `Make the agent DaemonSet schedule on ${node}${taints.length ? " (add tolerations for its taints)" : ""}: kubectl -n ${namespace} describe ds ${agent.object.metadata.name}`,
      });
      continue;
    }
    const unschedulable = nodeObjects.get(node)?.spec?.unschedulable === true;
    if (taints.length || unschedulable) {
      sidelined.push({
        node,
        text: `Node ${node} has no ready SPIRE agent and no meshed pod; it is ${unschedulable ? "cordoned" : `tainted (${taints.join(", ")})`}, so only pods that tolerate that land there`,
      });
      continue;
    }
    findings.push({
      subject: subjectOf("Node", undefined, node),
      verdict: "warn",
      message: `No ready SPIRE agent (${agentState}) and no meshed pod yet: a meshed pod scheduled here later would never get an SVID.`,
      hint: `kubectl -n ${namespace} describe ds ${agent.object.metadata.name}`,
    });
  }

  if (model.issuesFor("nodes").length > 0) {
    findings.push({
      subject: "Resource nodes",
      verdict: "unknown",
      message: "The Node list could not be read, so only nodes that run pods in the input were compared.",
    });
  }

  const attested = checkAttestedAgents(model, nodes, meshedByNode, nodeObjects, findings, evidence, agent.subject);

  const readyAgents = agent.pods.filter((pod) => pod.ready);
  const columns = [...new Set(readyAgents.map(readyColumn))];
  const coveredNodes = nodes.filter((node) => (agentsByNode.get(node) ?? []).some((pod) => pod.ready)).length;
  const clean = findings.every((finding) => finding.verdict === "pass" || finding.verdict === "skip");
  if (!clean) {
    for (const note of sidelined)
      findings.push({ subject: subjectOf("Node", undefined, note.node), verdict: "info", message: `${note.text}.` });
  }
  if (missing.length === 0) {
    const notes = clean && sidelined.length ? ` ${sidelined.map((note) => note.text).join(". ")}.` : "";
    findings.push({
      subject: agent.subject,
      verdict: "pass",
      message: `${plural(readyAgents.length, "agent")} ready on ${coveredNodes}/${nodes.length} nodes; every node with meshed pods (${meshedByNode.size}) has one.${notes}`,
    });
  }
  const allReady = readyAgents.length === agent.pods.length && coveredNodes === nodes.length;
  const base = allReady
    ? `all ${plural(readyAgents.length, "agent")} ${columns.join(", ")}, one on each of ${plural(nodes.length, "node")}`
    : `${readyAgents.length}/${agent.pods.length} agents ready, on ${coveredNodes}/${nodes.length} nodes`;
  const summary =
    missing.length > 0
      ? `${plural(missing.length, "node")} with meshed pods lack a ready agent (${missing.map((node) => `Node ${node}`).join(", ")}); ${base}.`
      : `${capitalize(base)}${attested ? `; ${attested}` : ""}.`;
  return { summary, findings, evidence };
}

/** Cross-checks `spire-server agent list`; returns a phrase for the summary when it was read. */
function checkAttestedAgents(
  model: ClusterModel,
  nodes: string[],
  meshedByNode: Map<string, PodView[]>,
  nodeObjects: Map<string, KubeObject>,
  findings: Finding[],
  evidence: Evidence[],
  agentSubject: string,
): string | undefined {
  const item = spireCli(model, ["agent", "list"]);
  if (!item) {
    findings.push({
      subject: agentSubject,
      verdict: model.live ? "unknown" : "skip",
      message: model.live
        ? "The live run recorded no `spire-server agent list` result, so attestation was not cross-checked."
        : "spire-server agent list not run: snapshot input; a live run execs it to confirm each node's agent is attested.",
    });
    return undefined;
  }
  evidence.push(liveEvidence(item));
  const subject = subjectOf("Pod", item.namespace, item.pod);
  if (item.error || (item.exitCode !== undefined && item.exitCode !== 0)) {
    findings.push({
      subject,
      verdict: "unknown",
      message: item.error
        ? `spire-server agent list could not run (${item.error.reason}): ${item.error.message}`
        : `spire-server agent list exited ${item.exitCode}: ${item.stderr.trim() || "no output"}`,
    });
    return undefined;
  }
  const agents = parseAgentList(item.stdout);
  if (!agents) {
    findings.push({
      subject,
      verdict: "unknown",
      message: "spire-server agent list returned output that is not the expected JSON.",
    });
    return undefined;
  }

  const nowSeconds = model.now.getTime() / 1000;
  const valid = agents.filter(
    (agent) => !agent.banned && (agent.expiresAt === undefined || agent.expiresAt > nowSeconds),
  );
  const uidToNode = new Map(
    [...nodeObjects.values()]
      .filter((node) => node.metadata.uid)
      .map((node) => [node.metadata.uid as string, node.metadata.name]),
  );
  const attestedNodes = new Set<string>();
  for (const agent of valid) {
    const node = agent.nodeName ?? (agent.nodeUid ? uidToNode.get(agent.nodeUid) : undefined);
    if (node) attestedNodes.add(node);
  }

  if (attestedNodes.size > 0) {
    for (const [node, pods] of meshedByNode) {
      if (attestedNodes.has(node)) continue;
      findings.push({
        subject: subjectOf("Node", undefined, node),
        verdict: "fail",
        message: `${plural(pods.length, "meshed pod")} run here, but the SPIRE server lists no attested, unexpired agent for this node.`,
        hint: "Read the agent's log for attestation errors; `spire-server agent list` shows each agent's expiry.",
      });
    }
  } else if (valid.length < nodes.length) {
    findings.push({
      subject,
      verdict: "warn",
      message: `The SPIRE server lists ${plural(valid.length, "attested agent")} (unbanned, unexpired) for ${plural(nodes.length, "node")}; agents could not be matched to nodes by name or UID.`,
      hint: "Compare `spire-server agent list` with `kubectl get nodes -o wide`.",
    });
  }
  const stale = agents.length - valid.length;
  return `${plural(valid.length, "attested agent")}${stale ? ` (${stale} banned or expired)` : ""}`;
}

// ---------------------------------------------------------------------------------------------
// MP-SP-03 SPIFFE CSI driver
// ---------------------------------------------------------------------------------------------

function runCsiDriver(model: ClusterModel): CheckOutcome {
  const csi = component(model, "csiDriver");
  const agent = component(model, "agent");
  const findings: Finding[] = [];
  const evidence: Evidence[] = [
    objectEvidence(
      "kubectl get csidriver csi.spiffe.io",
      model.spire.csiDriverObject
        ? table(["NAME"], [["csi.spiffe.io"]])
        : 'Error from server (NotFound): csidrivers.storage.k8s.io "csi.spiffe.io" not found',
    ),
  ];

  if (!model.spire.csiDriverObject) {
    findings.push({
      subject: "CSIDriver csi.spiffe.io",
      verdict: "fail",
      message:
        'CSIDriver csi.spiffe.io is not registered: pods that mount the workload socket stay in ContainerCreating with "driver name csi.spiffe.io not found".',
      hint: "Install the SPIFFE CSI driver (spiffe-csi-driver Helm chart) and check `kubectl get csidriver`.",
    });
  }
  if (!csi.object) {
    findings.push({
      subject: csi.subject,
      verdict: "fail",
      message: `The SPIFFE CSI driver DaemonSet (${csi.subject}) is not in the input, so no node can mount the SPIRE agent socket into pods.`,
      hint: "Check with `kubectl get ds -A | grep -i csi`, then set spec.spire.csiDriver in the plan if it has another name.",
    });
    return { summary: "No SPIFFE CSI driver DaemonSet found.", findings, evidence };
  }
  evidence.push(podsEvidence(csi.object.metadata.namespace, csi.pods, "SPIFFE CSI driver"));

  const meshedByNode = meshedPodsByNode(model);
  const agentNodes = podsByNode(agent.pods);
  const csiByNode = podsByNode(csi.pods);
  let required = [...new Set([...agentNodes.keys(), ...meshedByNode.keys()])];
  if (required.length === 0) required = model.list("Node").map((node) => node.metadata.name);
  required.sort();

  let covered = 0;
  for (const node of required) {
    const pods = csiByNode.get(node) ?? [];
    if (pods.some((pod) => pod.ready)) {
      covered++;
      continue;
    }
    const meshed = meshedByNode.get(node) ?? [];
    const state = pods.length
      ? `CSI driver pod ${pods.map((pod) => `${pod.name} is ${readyColumn(pod)} ${statusColumn(pod)}`).join(", ")}`
      : "no CSI driver pod runs there";
    findings.push({
      subject: subjectOf("Node", undefined, node),
      verdict: "fail",
      message: `${state}${meshed.length ? `; ${plural(meshed.length, "meshed pod")} (${examples(meshed)}) need it to mount the workload socket` : "; a meshed pod placed here would stay in ContainerCreating"}.`,
      hint: pods.length
        ? `kubectl -n ${pods[0]?.namespace} describe pod ${pods[0]?.name}`
        : `Make the CSI DaemonSet schedule on ${node}: kubectl -n ${csi.object.metadata.namespace} describe ds ${csi.object.metadata.name}`,
    });
  }

  if (findings.every((finding) => finding.verdict !== "fail")) {
    findings.push({
      subject: csi.subject,
      verdict: "pass",
      message: `CSIDriver csi.spiffe.io registered; a ready driver pod on each of ${plural(required.length, "node")} that run a SPIRE agent or meshed pods.`,
    });
  }
  const summary =
    covered === required.length && model.spire.csiDriverObject
      ? `CSI driver on every node (${covered}/${required.length}).`
      : `CSI driver ready on ${covered}/${required.length} nodes${model.spire.csiDriverObject ? "" : "; CSIDriver csi.spiffe.io missing"}.`;
  return { summary, findings, evidence };
}

// ---------------------------------------------------------------------------------------------
// MP-SP-04 ClusterSPIFFEID coverage
// ---------------------------------------------------------------------------------------------

const ignoredNamespacesCache = new WeakMap<ClusterModel, string[]>();

/**
 * Namespaces the spire-controller-manager skips, from `ignoreNamespaces` in its ConfigMap.
 * NOTE: entries are matched as exact names or as anchored regular expressions, since newer
 * controller-manager releases accept patterns; a release that compares literally could differ.
 */
function ignoredNamespaces(model: ClusterModel): string[] {
  const cached = ignoredNamespacesCache.get(model);
  if (cached) return cached;
  const ignored: string[] = [];
  for (const configMap of model.list("ConfigMap")) {
    if (!/controller-manager/.test(configMap.metadata.name)) continue;
    for (const value of Object.values(configMap.data ?? {})) {
      if (!/ignoreNamespaces\s*:/.test(value)) continue;
      try {
        const parsed = load(value) as { ignoreNamespaces?: unknown } | undefined;
        if (Array.isArray(parsed?.ignoreNamespaces))
          ignored.push(...parsed.ignoreNamespaces.filter((entry): entry is string => typeof entry === "string"));
      } catch {
        // An unreadable config leaves the list empty; coverage is then judged on selectors alone.
      }
    }
  }
  ignoredNamespacesCache.set(model, ignored);
  return ignored;
}

function namespaceIgnored(patterns: string[], namespace: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === namespace) return true;
    try {
      return new RegExp(`^(?:${pattern})$`).test(namespace);
    } catch {
      return false;
    }
  });
}

/**
 * Returns the ClusterSPIFFEID that would register a pod with these labels in this namespace, as
 * `ClusterSPIFFEID <name>`; undefined when none selects it. An absent or empty selector selects
 * everything, as in the controller-manager.
 */
export function clusterSpiffeIdCovers(
  model: ClusterModel,
  namespace: string,
  podLabels: Record<string, string>,
): string | undefined {
  if (namespaceIgnored(ignoredNamespaces(model), namespace)) return undefined;
  const namespaceLabels = model.namespaceLabels(namespace);
  const candidates = model.spire.clusterSpiffeIds;
  // A fallback entry applies only when no other ClusterSPIFFEID selects the pod.
  const ordered = [
    ...candidates.filter((item) => item.spec?.fallback !== true),
    ...candidates.filter((item) => item.spec?.fallback === true),
  ];
  for (const object of ordered) {
    model.stats.lookups++;
    const spec = object.spec ?? {};
    if (!matchesSelector(spec.namespaceSelector as LabelSelector | undefined, namespaceLabels)) continue;
    if (!matchesSelector(spec.podSelector as LabelSelector | undefined, podLabels)) continue;
    return subjectOf("ClusterSPIFFEID", undefined, object.metadata.name);
  }
  return undefined;
}

function runCoverage(model: ClusterModel): CheckOutcome {
  const findings: Finding[] = [];
  const objects = model.spire.clusterSpiffeIds;
  const meshed = model.pods.filter((pod) => pod.sidecar.kind !== "none");
  const spireDeployed = model.spire.server !== undefined || model.spire.agent !== undefined;
  const evidence: Evidence[] = [
    objectEvidence(
      "kubectl get clusterspiffeid -o yaml",
      objects.length
        ? yamlExcerpt({
            items: objects.map((object) => ({
              metadata: { name: object.metadata.name },
              spec: {
                spiffeIDTemplate: object.spec?.spiffeIDTemplate,
                namespaceSelector: object.spec?.namespaceSelector,
                podSelector: object.spec?.podSelector,
                ...(object.spec?.fallback ? { fallback: true } : {}),
              },
              status: object.status?.stats ? { stats: object.status.stats } : undefined,
            })),
          })
        : "No resources found",
    ),
  ];

  if (objects.length === 0) {
    findings.push({
      subject: "Resource clusterspiffeids.spire.spiffe.io",
      verdict: spireDeployed ? "fail" : "info",
      message: spireDeployed
        ? `SPIRE is deployed but no ClusterSPIFFEID exists, so the controller-manager registers no workload${meshed.length ? `: none of the ${plural(meshed.length, "meshed pod")} can get an SVID` : ""}.`
        : "No SPIRE server or agent and no ClusterSPIFFEID in the input; meshed pods take certificates from istiod.",
      hint: spireDeployed
        ? 'Create one with spiffeIDTemplate "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}" selecting the meshed namespaces.'
        : undefined,
    });
    return {
      summary: spireDeployed
        ? "No ClusterSPIFFEID: no meshed pod is registered with SPIRE."
        : "No SPIRE and no ClusterSPIFFEID in the input.",
      findings,
      evidence,
    };
  }

  // Registration errors the controller-manager reports in each object's status.
  for (const object of objects) {
    const stats = (object.status?.stats ?? {}) as Record<string, unknown>;
    const entryFailures = Number(stats.entryFailures ?? 0);
    const renderFailures = Number(stats.podEntryRenderFailures ?? 0);
    if (entryFailures > 0 || renderFailures > 0) {
      findings.push({
        subject: subjectOf("ClusterSPIFFEID", undefined, object.metadata.name),
        verdict: "fail",
        message: `status.stats reports ${entryFailures} entryFailures and ${renderFailures} podEntryRenderFailures: some selected pods have no registration entry.`,
        hint: "Read the spire-controller-manager log for the failing entries: kubectl -n <spire-namespace> logs deploy/spire-server -c spire-controller-manager",
      });
    }
  }

  // Each meshed pod must be selected by some ClusterSPIFFEID.
  const coverage = new Map<string, number>();
  const uncovered = new Map<string, PodView[]>();
  const namespaceCache = new Map<string, Record<string, string>>();
  for (const pod of meshed) {
    if (!namespaceCache.has(pod.namespace)) namespaceCache.set(pod.namespace, model.namespaceLabels(pod.namespace));
    const covering = clusterSpiffeIdCovers(model, pod.namespace, pod.labels);
    if (covering) {
      coverage.set(covering, (coverage.get(covering) ?? 0) + 1);
      continue;
    }
    const list = uncovered.get(pod.workload) ?? [];
    list.push(pod);
    uncovered.set(pod.workload, list);
  }
  const ignored = ignoredNamespaces(model);
  for (const [workload, pods] of uncovered) {
    const namespace = pods[0]?.namespace ?? "";
    const why = namespaceIgnored(ignored, namespace)
      ? `namespace ${namespace} is in the controller-manager's ignoreNamespaces`
      : `no ClusterSPIFFEID's namespaceSelector and podSelector match (namespace labels ${formatLabels(namespaceCache.get(namespace) ?? {})}; pod labels ${formatLabels(pods[0]?.labels ?? {})})`;
    findings.push({
      subject: workload,
      verdict: "fail",
      message: `${plural(pods.length, "meshed pod")} (${examples(pods)}) are not selected by any ClusterSPIFFEID: ${why}. Their proxies never get an SVID and never become ready.`,
      hint: `Widen a ClusterSPIFFEID's selectors to include them; current selectors: ${objects
        .map(
          (object) =>
            `${object.metadata.name} ns[${formatSelector(object.spec?.namespaceSelector)}] pod[${formatSelector(object.spec?.podSelector)}]`,
        )
        .join("; ")}.`,
    });
  }

  const selected = meshed.length - [...uncovered.values()].reduce((sum, pods) => sum + pods.length, 0);
  const coveringNames = [...coverage.keys()].map((subject) => subject.replace(/^ClusterSPIFFEID /, ""));
  const failed = findings.some((finding) => finding.verdict === "fail");
  if (!failed) {
    findings.push({
      subject: coverage.size === 1 ? [...coverage.keys()][0]! : "Resource clusterspiffeids.spire.spiffe.io",
      verdict: meshed.length ? "pass" : "info",
      message: meshed.length
        ? `All ${plural(meshed.length, "meshed pod")} are selected (${[...coverage.entries()].map(([subject, count]) => `${subject}: ${count}`).join(", ")}); no entry or render failures.`
        : "No meshed pods in the input to check coverage for.",
    });
  }
  const byWhom = coveringNames.length
    ? ` by ClusterSPIFFEID${coveringNames.length === 1 ? "" : "s"} ${coveringNames.join(", ")}`
    : "";
  const summary = failed
    ? `${selected}/${meshed.length} meshed pods selected${byWhom}${uncovered.size ? `; ${plural(uncovered.size, "workload")} not selected` : ""}${
        findings.some((finding) => finding.subject.startsWith("ClusterSPIFFEID") && finding.verdict === "fail")
          ? "; registration failures reported"
          : ""
      }.`
    : meshed.length
      ? `All ${plural(meshed.length, "meshed pod")} selected${byWhom}; no entry failures.`
      : "No meshed pods to cover.";
  return { summary, findings, evidence };
}

// ---------------------------------------------------------------------------------------------
// MP-SP-05 a registration entry for each meshed pod
// ---------------------------------------------------------------------------------------------

/** Rows of the entry table shown as evidence; the rest are counted. */
const ENTRY_ROWS_LIMIT = 50;

export interface RegistrationEntry {
  id: string;
  spiffeId: string;
  parentId: string;
  /** Values of the entry's `k8s:pod-uid:<uid>` selectors. */
  podUids: string[];
}

/** Joins a SPIFFE ID that spire-server's JSON prints as `{trust_domain, path}`; a plain string is accepted too. */
function spiffeIdText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null) return "";
  const id = value as { trust_domain?: unknown; path?: unknown };
  if (typeof id.trust_domain !== "string") return "";
  return `spiffe://${id.trust_domain}${typeof id.path === "string" ? id.path : ""}`;
}

/** Parses `spire-server entry show -output json`; undefined when the output is not that shape. */
export function parseEntryList(stdout: string): RegistrationEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const entries = (parsed as { entries?: unknown }).entries;
  // spire-server prints `"entries": []` for none; protojson may omit the field altogether.
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) return undefined;
  return entries.map((raw) => {
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const selectors = Array.isArray(entry.selectors)
      ? (entry.selectors as Array<{ type?: string; value?: string }>)
      : [];
    return {
      id: typeof entry.id === "string" ? entry.id : "",
      spiffeId: spiffeIdText(entry.spiffe_id),
      parentId: spiffeIdText(entry.parent_id),
      podUids: selectors
        .filter((selector) => selector.type === "k8s" && selector.value?.startsWith("pod-uid:"))
        .map((selector) => (selector.value ?? "").slice("pod-uid:".length)),
    };
  });
}

/** The agent IDs per node from `spire-server agent list`, or why they are not available. */
type AgentsByNode = { nodes: Map<string, string[]> } | { unavailable: string; unknown: boolean };

function agentsByNode(model: ClusterModel): AgentsByNode {
  const item = spireCli(model, ["agent", "list"]);
  if (!item) return { unavailable: "no `spire-server agent list` result was recorded", unknown: false };
  if (item.error) {
    return {
      unavailable: `spire-server agent list could not run (${item.error.reason}): ${item.error.message}`,
      unknown: true,
    };
  }
  if (item.exitCode !== undefined && item.exitCode !== 0) {
    return { unavailable: `spire-server agent list exited ${item.exitCode}`, unknown: true };
  }
  const agents = parseAgentList(item.stdout);
  if (!agents)
    return { unavailable: "spire-server agent list returned output that is not the expected JSON", unknown: true };
  const uidToNode = new Map(
    model
      .list("Node")
      .filter((node) => node.metadata.uid)
      .map((node) => [node.metadata.uid as string, node.metadata.name]),
  );
  const nodes = new Map<string, string[]>();
  for (const agent of agents) {
    if (agent.banned) continue;
    const node = agent.nodeName ?? (agent.nodeUid ? uidToNode.get(agent.nodeUid) : undefined);
    if (node) nodes.set(node, [...(nodes.get(node) ?? []), agent.id]);
  }
  return { nodes };
}

function expectedSpiffeId(trustDomain: string, pod: PodView): string {
  return `spiffe://${trustDomain}/ns/${pod.namespace}/sa/${pod.serviceAccount}`;
}

/** Judges one pod's entries; returns undefined when one entry has the expected ID and parent. */
function entryProblem(
  pod: PodView,
  entries: RegistrationEntry[],
  expected: string,
  agents: AgentsByNode,
  server: { namespace: string; pod: string },
): { message: string; hint: string } | undefined {
  const selector = `k8s:pod-uid:${pod.object.metadata.uid ?? "<uid>"}`;
  if (entries.length === 0) {
    return {
      message: `No registration entry has selector ${selector}, so the SPIRE agent on ${pod.nodeName ?? "its node"} has no SVID to give this pod's proxy (expected ${expected}).`,
      hint: `The spire-controller-manager writes one entry per pod a ClusterSPIFFEID selects: check MP-SP-04, then its log (kubectl -n ${server.namespace} logs ${server.pod} -c spire-controller-manager), and confirm with kubectl -n ${server.namespace} exec ${server.pod} -c spire-server -- /opt/spire/bin/spire-server entry show -selector ${selector}`,
    };
  }
  const withId = entries.filter((entry) => entry.spiffeId === expected);
  if (withId.length === 0) {
    return {
      message: `The entry for ${selector} has SPIFFE ID ${entries.map((entry) => entry.spiffeId || "(none)").join(", ")}, not the expected ${expected}: peers and policies that expect the Istio form reject it.`,
      hint: "Make the ClusterSPIFFEID's spiffeIDTemplate render spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}.",
    };
  }
  if ("unavailable" in agents) return undefined;
  const nodeAgents = agents.nodes.get(pod.nodeName ?? "") ?? [];
  if (withId.some((entry) => nodeAgents.includes(entry.parentId))) return undefined;
  const parents = withId.map((entry) => entry.parentId || "(none)").join(", ");
  return {
    message: nodeAgents.length
      ? `The entry for ${selector} has parent ${parents}, not the agent on node ${pod.nodeName} (${nodeAgents.join(", ")}): that agent never receives it.`
      : `The entry for ${selector} has parent ${parents}, but the SPIRE server lists no attested agent on node ${pod.nodeName ?? "(unscheduled)"}: no agent can serve it.`,
    hint: "Check the agent on the pod's node (MP-SP-02); the controller-manager re-parents entries to the node's agent on its next sync.",
  };
}

function runEntries(model: ClusterModel, plan: RolloutPlan | undefined): CheckOutcome {
  const trustDomain = plan?.spec.trustDomain ?? model.mesh.trustDomain;
  const pods = model.pods.filter((pod) => pod.sidecar.kind !== "none" && pod.phase === "Running");
  const findings: Finding[] = [];
  const evidence: Evidence[] = [];
  const item = spireCli(model, ["entry", "show"]);

  if (!item) {
    const subject = component(model, "server").subject;
    findings.push({
      subject,
      verdict: model.live ? "unknown" : "skip",
      message: model.live
        ? "The live run recorded no `spire-server entry show` result, so registration entries were not compared with the pods."
        : `spire-server entry show not run: snapshot input; a live run execs it to find the registration entry of each of the ${plural(pods.length, "Running meshed pod")}.`,
    });
    return {
      summary: model.live
        ? "Unknown: no spire-server entry show result recorded."
        : `Not read: snapshot input; a live run lists the registration entries of the ${plural(pods.length, "Running meshed pod")}.`,
      findings,
      evidence,
    };
  }

  const serverPod = subjectOf("Pod", item.namespace, item.pod);
  const failure = item.error
    ? `spire-server entry show could not run (${item.error.reason}): ${item.error.message}`
    : item.exitCode !== undefined && item.exitCode !== 0
      ? `spire-server entry show exited ${item.exitCode}: ${item.stderr.trim() || "no output"}`
      : undefined;
  const entries = failure ? undefined : parseEntryList(item.stdout);
  if (failure || !entries) {
    evidence.push(liveEvidence(item));
    findings.push({
      subject: serverPod,
      verdict: "unknown",
      message: failure ?? "spire-server entry show returned output that is not the expected JSON.",
      hint: item.error?.permission
        ? `Grant "${item.error.permission}" to meshproof's identity (see deploy/rbac.yaml).`
        : undefined,
    });
    return { summary: `Unknown: ${failure ?? "entry show output not readable"}.`, findings, evidence };
  }

  const byUid = new Map<string, RegistrationEntry[]>();
  for (const entry of entries) {
    for (const uid of entry.podUids) byUid.set(uid, [...(byUid.get(uid) ?? []), entry]);
  }
  const agents = agentsByNode(model);

  const rows: string[][] = [];
  const failing: PodView[] = [];
  const registered = new Map<string, number>();
  const podsPerWorkload = new Map<string, number>();
  const expectedIds = new Set<string>();
  for (const pod of pods) {
    model.stats.lookups++;
    podsPerWorkload.set(pod.workload, (podsPerWorkload.get(pod.workload) ?? 0) + 1);
    const expected = expectedSpiffeId(trustDomain, pod);
    expectedIds.add(expected);
    const podEntries = byUid.get(pod.object.metadata.uid ?? "") ?? [];
    const problem = entryProblem(pod, podEntries, expected, agents, item);
    if (rows.length < ENTRY_ROWS_LIMIT) {
      const entry = podEntries.find((candidate) => candidate.spiffeId === expected) ?? podEntries[0];
      rows.push([
        `${pod.namespace}/${pod.name}`,
        pod.object.metadata.uid ?? "",
        entry?.spiffeId ?? "(no entry)",
        entry?.parentId ?? "",
      ]);
    }
    if (problem) {
      failing.push(pod);
      findings.push({ subject: pod.subject, verdict: "fail", message: problem.message, hint: problem.hint });
      continue;
    }
    registered.set(pod.workload, (registered.get(pod.workload) ?? 0) + 1);
  }
  const omitted = pods.length - rows.length;
  evidence.push({
    command: `${item.command}  # matched to pods by selector k8s:pod-uid`,
    output: `${entries.length} entries\n${table(["POD", "UID", "SPIFFE ID", "PARENT ID"], rows)}${omitted > 0 ? `\n... and ${omitted} more pods` : ""}`,
    source: "live",
  });

  const parentsChecked = !("unavailable" in agents);
  const parentNote = parentsChecked
    ? ", each parented by the agent on the pod's node"
    : `; parents not compared with the node's agent, because ${"unavailable" in agents ? agents.unavailable : ""}`;
  for (const [workload, count] of registered) {
    const total = podsPerWorkload.get(workload) ?? count;
    // A workload with a failing pod is reported through that pod's finding.
    if (count < total) continue;
    findings.push({
      subject: workload,
      verdict: "pass",
      message: `Registration entries with the pod-uid selector and the expected SPIFFE ID for ${count}/${total} Running meshed pods${parentNote}.`,
    });
  }
  // Without a readable agent list, the parent half of the rule cannot be judged: unknown, not pass.
  if ("unavailable" in agents && agents.unknown && pods.length > 0) {
    findings.push({
      subject: serverPod,
      verdict: "unknown",
      message: `Entry parents not compared with the agent on each pod's node: ${agents.unavailable}.`,
    });
  }

  const ids = [...expectedIds];
  const idText = ids.length === 1 ? ids[0] : "their expected SPIFFE IDs";
  let summary: string;
  if (pods.length === 0) summary = "No Running meshed pods, so no registration entry to check.";
  else if (failing.length === 0)
    summary = `${pods.length}/${pods.length} Running meshed pods have a registration entry for ${idText}${parentsChecked ? ", each parented by the agent on its node" : "; parents not compared (agent list not read)"}.`;
  else
    summary = `${failing.length} of ${plural(pods.length, "Running meshed pod")} lack a correct registration entry: ${failing
      .slice(0, EXAMPLES_LIMIT)
      .map((pod) => `${pod.namespace}/${pod.name}`)
      .join(", ")}${failing.length > EXAMPLES_LIMIT ? ` and ${failing.length - EXAMPLES_LIMIT} more` : ""}.`;
  return { summary, findings, evidence, verdict: pods.length === 0 ? "info" : undefined };
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length ? entries.map(([key, value]) => `${key}=${value}`).join(",") : "(none)";
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export const spireChecks: CheckDefinition[] = [
  {
    id: "MP-SP-01",
    category: "spire",
    title: "The SPIRE server is ready",
    proves:
      "The SPIRE server StatefulSet and its pods are ready, and, on a live run, `spire-server healthcheck` passes.",
    reads: [
      "StatefulSet <spire-namespace>/spire-server",
      "Pods of the server StatefulSet",
      "spire-server healthcheck (live)",
    ],
    needs: ["statefulsets.apps", "pods"],
    run: ({ model }) => runServer(model),
  },
  {
    id: "MP-SP-02",
    category: "spire",
    title: "A SPIRE agent runs on every node that runs meshed pods",
    proves: "Every node hosting a meshed pod runs a ready SPIRE agent, and, on a live run, that agent is attested.",
    reads: [
      "DaemonSet <spire-namespace>/spire-agent and its pods",
      "Nodes",
      "Pods (sidecar, nodeName)",
      "spire-server agent list (live)",
    ],
    needs: ["daemonsets.apps", "pods"],
    run: ({ model }) => runAgents(model),
  },
  {
    id: "MP-SP-03",
    category: "spire",
    title: "The SPIFFE CSI driver runs on every node",
    proves:
      "CSIDriver csi.spiffe.io is registered and a ready driver pod runs on every node with a SPIRE agent or meshed pods.",
    reads: [
      "CSIDriver csi.spiffe.io",
      "DaemonSet <spire-namespace>/spire-spiffe-csi-driver and its pods",
      "Pods (sidecar, nodeName)",
    ],
    needs: ["daemonsets.apps", "pods", "csidrivers.storage.k8s.io"],
    run: ({ model }) => runCsiDriver(model),
  },
  {
    id: "MP-SP-04",
    category: "spire",
    title: "A ClusterSPIFFEID selects every meshed pod",
    proves:
      "Every meshed pod matches some ClusterSPIFFEID, so the controller-manager registers it, and no ClusterSPIFFEID reports entry failures.",
    reads: [
      "ClusterSPIFFEID spec selectors and status.stats",
      "Namespaces (labels)",
      "Pods (labels)",
      "spire-controller-manager ConfigMap (ignoreNamespaces)",
    ],
    needs: ["clusterspiffeids.spire.spiffe.io", "pods", "namespaces"],
    run: ({ model }) => runCoverage(model),
  },
  {
    id: "MP-SP-05",
    category: "spire",
    title: "A SPIRE registration entry exists for each meshed pod",
    proves:
      "On a live run, every Running meshed pod has a registration entry with selector k8s:pod-uid:<uid> and the SPIFFE ID spiffe://<trust domain>/ns/<namespace>/sa/<ServiceAccount>, parented by the SPIRE agent on the pod's node, so that agent can issue the pod's SVID.",
    reads: [
      "spire-server entry show -output json (live)",
      "spire-server agent list -output json (live)",
      "Pods (uid, nodeName, serviceAccountName, sidecar)",
      "Nodes (uid)",
      "plan: trustDomain, else MeshConfig trustDomain",
    ],
    needs: ["pods"],
    run: ({ model, plan }) => runEntries(model, plan),
  },
];
