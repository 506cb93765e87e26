import type { ClusterModel, WorkloadView } from "../../model/cluster.js";
import type { Container, KubeObject } from "../../model/kube.js";
import { objectSubject, subjectOf } from "../../model/kube.js";
import { matchesSelector } from "../../model/selectors.js";
import { INIT_CONTAINER, PROXY_CONTAINER } from "../../model/sidecar.js";
import type { PlanPhase, RolloutPlan } from "../../plan/schema.js";
import { objectEvidence, table } from "../evidence.js";
import type { CheckContext } from "../types.js";
import { type GateItem, type GateParts, relatedFindings } from "./common.js";
import { coverageVerdict, spireCoverageOf } from "./coverage.js";

/** Restarts from which a pod counts as crash-looping even while it happens to be Running. */
const CRASH_LOOP_RESTARTS = 5;

/** Finds the workloads a mesh-workloads phase meshes: those it names, and the not-yet-meshed workloads of the namespaces it adds. */
function phaseTargets(model: ClusterModel, phase: PlanPhase): { found: WorkloadView[]; missing: string[] } {
  const found: WorkloadView[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const ref of phase.workloads ?? []) {
    const subject = subjectOf(ref.kind, ref.namespace, ref.name);
    const workload = model.workload(subject);
    if (!workload) missing.push(subject);
    else if (!seen.has(subject)) {
      seen.add(subject);
      found.push(workload);
    }
  }
  const namespaces = new Set(phase.namespaces ?? []);
  if (namespaces.size > 0) {
    for (const workload of model.workloads) {
      if (!namespaces.has(workload.namespace) || seen.has(workload.subject) || workload.meshed) continue;
      if (workload.kind === "ReplicaSet" || workload.kind === "Job") continue;
      seen.add(workload.subject);
      found.push(workload);
    }
  }
  return { found, missing };
}

function isDatastore(plan: RolloutPlan, workload: WorkloadView): string | undefined {
  const labels = workload.template?.labels ?? workload.pods[0]?.labels ?? {};
  return plan.spec.datastores.find(
    (datastore) =>
      (datastore.namespace === undefined || datastore.namespace === workload.namespace) &&
      matchesSelector(datastore.selector, labels),
  )?.name;
}

function containersOf(workload: WorkloadView): Container[] {
  const spec = workload.template?.spec ?? workload.pods[0]?.object.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].filter(
    (container) => container.name !== PROXY_CONTAINER && container.name !== INIT_CONTAINER,
  );
}

/** Config text a workload reads: env values and the ConfigMaps it references. Secrets are never read. */
function configTexts(
  model: ClusterModel,
  workload: WorkloadView,
): Array<{ source: string; value: string; siblings: Record<string, string> }> {
  const texts: Array<{ source: string; value: string; siblings: Record<string, string> }> = [];
  const configMap = (name: string | undefined) =>
    name ? model.get("ConfigMap", workload.namespace, name)?.data : undefined;
  for (const container of containersOf(workload)) {
    const siblings: Record<string, string> = {};
    for (const variable of container.env ?? [])
      if (variable.value !== undefined) siblings[variable.name] = variable.value;
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) texts.push({ source: `env ${variable.name}`, value: variable.value, siblings });
      const ref = variable.valueFrom?.configMapKeyRef;
      const value = ref?.key ? configMap(ref.name)?.[ref.key] : undefined;
      if (value !== undefined) texts.push({ source: `ConfigMap ${ref?.name} key ${ref?.key}`, value, siblings });
    }
    for (const from of container.envFrom ?? []) {
      const data = configMap(from.configMapRef?.name) ?? {};
      for (const [key, value] of Object.entries(data))
        texts.push({ source: `ConfigMap ${from.configMapRef?.name} key ${key}`, value, siblings: data });
    }
  }
  for (const volume of workload.template?.spec.volumes ?? []) {
    const data = configMap(volume.configMap?.name) ?? {};
    for (const [key, value] of Object.entries(data))
      texts.push({ source: `ConfigMap ${volume.configMap?.name} key ${key}`, value, siblings: data });
  }
  return texts;
}

function firstSentence(text: string): string {
  const sentence = text.split(/(?<=\.)\s/)[0] ?? text;
  return sentence.endsWith(".") ? sentence : `${sentence}.`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Ports of one external host a workload's config names; only the host and port are read, never credentials. */
function portsUsed(
  model: ClusterModel,
  workload: WorkloadView,
  host: string,
): Array<{ port?: number; source: string }> {
  const uses: Array<{ port?: number; source: string }> = [];
  const pattern = new RegExp(`${escapeRegExp(host)}(?::(\\d+))?`, "gi");
  for (const text of configTexts(model, workload)) {
    for (const match of text.value.matchAll(pattern)) {
      let port = match[1] ? Number(match[1]) : undefined;
      if (port === undefined) {
        const portVariable = Object.entries(text.siblings).find(
          ([name, value]) => /PORT$/i.test(name) && /^\d+$/.test(value),
        );
        if (portVariable) port = Number(portVariable[1]);
      }
      uses.push({ port, source: text.source });
    }
  }
  return uses;
}

/** Tells whether an object's exportTo makes it visible in a namespace; an absent list means every namespace. */
function visibleIn(object: KubeObject, namespace: string): boolean {
  const exportTo = object.spec?.exportTo as string[] | undefined;
  if (!exportTo || exportTo.length === 0) return true;
  return (
    exportTo.includes("*") ||
    exportTo.includes(namespace) ||
    (exportTo.includes(".") && object.metadata.namespace === namespace)
  );
}

function injectionColumn(injects: boolean | undefined): string {
  if (injects === undefined) return "?";
  return injects ? "yes" : "no";
}

function crashLoop(
  workload: WorkloadView,
): { restarts: number; reason?: string; createdAt?: Date; meshed: boolean; pod: string } | undefined {
  for (const pod of workload.pods) {
    if (pod.waitingReason === "CrashLoopBackOff" || pod.restarts >= CRASH_LOOP_RESTARTS) {
      return {
        restarts: pod.restarts,
        reason: pod.waitingReason,
        createdAt: pod.createdAt,
        meshed: pod.sidecar.kind !== "none",
        pod: pod.subject,
      };
    }
  }
  return undefined;
}

/** Items of a mesh-workloads gate: per workload, injection, SPIRE coverage, crash loops and external ports. */
export function meshWorkloadsGate(context: CheckContext, phase: PlanPhase): GateParts {
  const { model } = context;
  const plan = context.plan as RolloutPlan;
  const items: GateItem[] = [];
  const { found, missing } = phaseTargets(model, phase);
  const rows: string[][] = [];

  for (const subject of missing) {
    items.push({
      subject,
      verdict: "unknown",
      message: "The phase names this workload, but it is not in the objects.",
      hint: "Check the plan's phase workloads, or capture the namespace.",
    });
  }
  if (found.length === 0 && missing.length === 0) {
    items.push({
      subject: `Phase ${phase.id}`,
      verdict: "unknown",
      message: "The phase lists no workloads and no namespaces, so there is nothing to judge.",
      hint: "Add workloads or namespaces to the phase in the plan.",
    });
  }

  const windowStart = plan.spec.window ? new Date(plan.spec.window.start) : undefined;
  // Workload-health findings by subject, indexed once rather than scanned once per crash-looping
  // workload; `position` keeps the order relatedFindings returns them in.
  const healthFindings = new Map<
    string,
    Array<{ position: number; related: ReturnType<typeof relatedFindings>[number] }>
  >();
  relatedFindings(context, ["workload-health"], (finding) => finding.verdict !== "pass").forEach(
    (related, position) => {
      const list = healthFindings.get(related.finding.subject) ?? [];
      list.push({ position, related });
      healthFindings.set(related.finding.subject, list);
    },
  );
  for (const workload of found) {
    const coverage = spireCoverageOf(model, workload);
    const decision = workload.injectionOnRestart;
    rows.push([
      workload.subject,
      workload.meshed ? "yes" : "no",
      injectionColumn(decision?.injects),
      coverage.coveredBy ?? "-",
      String(Math.max(0, ...workload.pods.map((pod) => pod.restarts))),
    ]);

    if (workload.meshed) {
      items.push({ subject: workload.subject, verdict: "info", message: "Already carries a sidecar." });
      continue;
    }
    const datastore = isDatastore(plan, workload);
    if (datastore) {
      items.push({
        subject: workload.subject,
        verdict: "fail",
        message: `The phase would mesh the ${datastore} datastore, which the plan keeps out of the mesh.`,
        short: `${workload.name} is the ${datastore} datastore`,
        hint: "Remove it from the phase.",
      });
      continue;
    }

    // Injection: the phase must make the injector select the template.
    const hostNetwork = workload.template?.spec.hostNetwork === true || workload.pods.some((pod) => pod.hostNetwork);
    if (hostNetwork) {
      items.push({
        subject: workload.subject,
        verdict: "fail",
        message: "Runs with hostNetwork, and the injector never injects hostNetwork pods.",
        short: `${workload.name} uses hostNetwork`,
        hint: "Run it without hostNetwork, or leave it out of the mesh.",
      });
    } else if (decision && !decision.injects) {
      const labels = { ...(workload.template?.labels ?? {}) };
      const optedOut = labels["sidecar.istio.io/inject"] === "false";
      delete labels["sidecar.istio.io/inject"];
      const afterRemoval = model.decideInjection(
        workload.namespace,
        labels,
        workload.template?.annotations ?? {},
        false,
      );
      items.push(
        optedOut && afterRemoval.injects
          ? {
              subject: workload.subject,
              verdict: "warn",
              message: `Its pod template opts out with label sidecar.istio.io/inject="false"; the phase must remove that label (then ${afterRemoval.reason}).`,
              hint: `kubectl -n ${workload.namespace} patch ${workload.kind.toLowerCase()} ${workload.name} --type json -p '[{"op":"remove","path":"/spec/template/metadata/labels/sidecar.istio.io~1inject"}]'`,
            }
          : {
              subject: workload.subject,
              verdict: "fail",
              message: `The injector would not select it even without an opt-out label: ${afterRemoval.reason}.`,
              short: `${workload.name} would not be injected`,
              hint: `Label namespace ${workload.namespace} istio-injection=enabled, or the pod template sidecar.istio.io/inject="true".`,
            },
      );
    } else if (decision?.injects) {
      items.push({
        subject: workload.subject,
        verdict: "pass",
        message: `The injector selects its template (${decision.reason}); a restart meshes it.`,
      });
    }

    // SPIRE registration: without it a native sidecar never becomes ready and the pod never starts.
    items.push({
      subject: workload.subject,
      verdict: coverageVerdict(coverage),
      message: coverage.sentence,
      short: coverage.coveredBy
        ? undefined
        : `${workload.name}: no ClusterSPIFFEID covers namespace ${workload.namespace}`,
      hint:
        coverage.coveredBy || !coverage.spireDeployed
          ? undefined
          : `Extend a ClusterSPIFFEID's namespaceSelector and podSelector to ${workload.namespace} before injecting: kubectl get clusterspiffeid -o yaml`,
    });

    // A crash loop must be fixed or the workload left out: meshing it hides the cause behind the mesh.
    const loop = crashLoop(workload);
    if (loop) {
      // The workload-health check judges whether the loop predates the rollout; its finding is on the pod.
      const health = [workload.subject, ...workload.pods.map((pod) => pod.subject)]
        .flatMap((subject) => healthFindings.get(subject) ?? [])
        .sort((a, b) => a.position - b.position)
        .map(({ related }) => related);
      const podName = loop.pod.split("/")[1] ?? loop.pod;
      const local =
        windowStart && loop.createdAt && loop.createdAt < windowStart && !loop.meshed
          ? ` Its pod ${podName} was created ${loop.createdAt.toISOString()}, before the window opened, and has no sidecar, so the loop predates the rollout.`
          : "";
      const judged = health.length
        ? health.map(({ result, finding }) => ` ${result.id}: ${firstSentence(finding.message)}`).join("")
        : local;
      items.push({
        subject: workload.subject,
        verdict: "fail",
        message: `${workload.name} is crash-looping (${loop.restarts} restarts${loop.reason ? `, ${loop.reason}` : ""}); fix it or leave it out of the phase.${judged} ${coverage.sentence}`,
        short: `${workload.name} is crash-looping (${loop.restarts} restarts): fix it or leave it out of the phase (SPIRE registration ${coverage.coveredBy ? "already covers" : "does not cover"} namespace ${workload.namespace})`,
        strength: judged ? "medium" : "weak",
        basis: ["restart count", "pod creationTimestamp", "no istio-proxy"],
        hint: `kubectl -n ${workload.namespace} logs ${podName} --previous`,
      });
    }

    items.push(...externalServiceItems(model, plan, workload));
  }

  // Findings of earlier checks about the phase's workloads (external ports, injection) that block.
  const targets = new Set(found.map((workload) => workload.subject));
  for (const { result, finding } of relatedFindings(
    context,
    ["external-services", "injection"],
    (finding) => targets.has(finding.subject) && (finding.verdict === "fail" || finding.verdict === "warn"),
  )) {
    items.push({ ...finding, message: `${result.id}: ${finding.message}` });
  }

  return {
    items,
    evidence: [
      objectEvidence(
        "kubectl get deploy,statefulset,daemonset -A -o custom-columns=NAME:.metadata.name,INJECT:.spec.template.metadata.labels.sidecar\\.istio\\.io/inject   # with pod restarts and ClusterSPIFFEID coverage",
        table(["WORKLOAD", "MESHED", "INJECTED-ON-RESTART", "SPIRE-REGISTRATION", "RESTARTS"], rows),
      ),
    ],
  };
}

const hostIndexCache = new WeakMap<
  ClusterModel,
  { entries: Map<string, KubeObject[]>; rules: Map<string, KubeObject[]> }
>();

/** ServiceEntries and DestinationRules by lower-case host, built once per model so workloads share it. */
function byHost(model: ClusterModel): { entries: Map<string, KubeObject[]>; rules: Map<string, KubeObject[]> } {
  let index = hostIndexCache.get(model);
  if (!index) {
    index = { entries: new Map(), rules: new Map() };
    for (const entry of model.list("ServiceEntry")) {
      for (const host of (entry.spec?.hosts ?? []) as string[]) {
        const key = host.toLowerCase();
        index.entries.set(key, [...(index.entries.get(key) ?? []), entry]);
      }
    }
    for (const rule of model.list("DestinationRule")) {
      const key = String(rule.spec?.host ?? "").toLowerCase();
      index.rules.set(key, [...(index.rules.get(key) ?? []), rule]);
    }
    hostIndexCache.set(model, index);
  }
  return index;
}

/** exportTo and declared ports of the external services a workload's config names. */
function externalServiceItems(model: ClusterModel, plan: RolloutPlan, workload: WorkloadView): GateItem[] {
  const items: GateItem[] = [];
  const index = byHost(model);
  for (const service of plan.spec.externalServices) {
    const uses = portsUsed(model, workload, service.host);
    const entries = index.entries.get(service.host.toLowerCase()) ?? [];
    const rules = index.rules.get(service.host.toLowerCase()) ?? [];
    if (entries.length === 0) continue;
    const hidden = [...entries, ...rules].filter((object) => !visibleIn(object, workload.namespace));
    if (uses.length === 0) {
      // Values held in Secrets are never read, so a worker may still call the host.
      for (const object of hidden) {
        items.push({
          subject: objectSubject(object),
          verdict: "info",
          message: `exportTo ${JSON.stringify(object.spec?.exportTo)} does not include namespace ${workload.namespace}; ${workload.name}'s env values and ConfigMaps do not name ${service.host}, but values in Secrets were not read.`,
          hint: `If ${workload.name} calls ${service.host}, add ${workload.namespace} to spec.exportTo before meshing it.`,
        });
      }
      continue;
    }

    for (const object of hidden) {
      items.push({
        subject: objectSubject(object),
        verdict: "fail",
        message: `exportTo ${JSON.stringify(object.spec?.exportTo)} does not include namespace ${workload.namespace}, where ${workload.name} calls ${service.host} (${uses[0]?.source}); its sidecar would not see the ${object.kind}.`,
        short: `${objectSubject(object)} is not exported to ${workload.namespace}`,
        hint: `Add ${workload.namespace} to spec.exportTo.`,
      });
    }

    const declared = new Set(
      entries.flatMap((entry) => ((entry.spec?.ports ?? []) as Array<{ number?: number }>).map((port) => port.number)),
    );
    for (const use of uses) {
      if (use.port === undefined || declared.has(use.port)) continue;
      const registryOnly = model.mesh.outboundTrafficPolicy === "REGISTRY_ONLY";
      items.push({
        subject: workload.subject,
        verdict: registryOnly ? "fail" : "warn",
        message: `Calls ${service.host}:${use.port} (${use.source}), a port no ServiceEntry declares; ${registryOnly ? "REGISTRY_ONLY would send it to BlackHoleCluster" : "under ALLOW_ANY it leaves through PassthroughCluster, without per-host policy or telemetry"}.`,
        short: registryOnly ? `${workload.name} calls undeclared ${service.host}:${use.port}` : undefined,
        hint: `Declare port ${use.port} in ${objectSubject(entries[0] as KubeObject)}.`,
      });
    }
    if (hidden.length === 0 && uses.every((use) => use.port === undefined || declared.has(use.port))) {
      items.push({
        subject: workload.subject,
        verdict: "pass",
        message: `Calls ${service.host} on declared ports, and its ServiceEntry and DestinationRule are visible in ${workload.namespace}.`,
      });
    }
  }
  return items;
}
