import type { ClusterModel, PodView, WorkloadView } from "../model/cluster.js";
import type { InjectionDecision } from "../model/injection.js";
import { type KubeObject, type LabelSelector, subjectOf } from "../model/kube.js";
import { matchesSelector } from "../model/selectors.js";
import { type PodTemplate, podTemplateOf } from "../model/workloads.js";
import type { PlanWorkloadRef, RolloutPlan } from "../plan/schema.js";
import { plural } from "../text.js";
import { objectEvidence, table } from "./evidence.js";
import type { CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

/** The jsonpath that prints each pod's containers and init containers with their restartPolicy. */
const CONTAINERS_JSONPATH =
  '{range .items[*]}{.metadata.name}{" containers="}{.spec.containers[*].name}{" init="}{range .spec.initContainers[*]}{.name}{"="}{.restartPolicy}{" "}{end}{"\\n"}{end}';

const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "ReplicaSet", "Pod"] as const;

const ROLLOUT_RESOURCE: Record<string, string> = {
  Deployment: "deploy",
  StatefulSet: "statefulset",
  DaemonSet: "daemonset",
};

/** Pods that still run or wait to run. Finished Job pods do not reflect the current template. */
function livePods(workload: WorkloadView): PodView[] {
  return workload.pods.filter((pod) => pod.phase !== "Succeeded" && pod.phase !== "Failed");
}

function restartCommand(workload: WorkloadView): string {
  const resource = ROLLOUT_RESOURCE[workload.kind];
  return resource
    ? `kubectl -n ${workload.namespace} rollout restart ${resource}/${workload.name}`
    : `kubectl -n ${workload.namespace} delete pod <pod> (its controller recreates it)`;
}

/** Formats the jsonpath line kubectl prints for one pod, so evidence reads like the command's output. */
function containersLine(pod: PodView): string {
  const spec = pod.object.spec ?? {};
  const containers = (spec.containers ?? []).map((container) => container.name).join(" ");
  const init = (spec.initContainers ?? [])
    .map((container) => `${container.name}=${container.restartPolicy ?? ""}`)
    .join(" ");
  return `${pod.name} containers=${containers} init=${init}`.trimEnd();
}

function sidecarLabel(workload: WorkloadView): string {
  if (workload.sidecarKind === "native") return "native sidecar";
  if (workload.sidecarKind === "classic") return "classic sidecar";
  const pods = livePods(workload);
  const native = pods.filter((pod) => pod.sidecar.kind === "native").length;
  const classic = pods.filter((pod) => pod.sidecar.kind === "classic").length;
  return `${native} native and ${classic} classic sidecars`;
}

/** Finds a planned workload, and the same name under another kind when the plan names the wrong kind. */
function findPlanned(model: ClusterModel, ref: PlanWorkloadRef): { workload?: WorkloadView; otherKind?: WorkloadView } {
  const workload = model.workload(subjectOf(ref.kind, ref.namespace, ref.name));
  if (workload) return { workload };
  for (const kind of WORKLOAD_KINDS) {
    if (kind === ref.kind) continue;
    const candidate = model.workload(subjectOf(kind, ref.namespace, ref.name));
    if (candidate) return { otherKind: candidate };
  }
  return {};
}

interface MeshingResult {
  finding: Finding;
  /** Every live pod carries a sidecar now. */
  meshedNow: boolean;
  listing: string;
  /** A short sentence for the summary when the finding does not pass. */
  problem?: string;
}

/** Judges one planned workload: meshed, not meshed (with the injector's reason) or stale. */
function judgePlanned(workload: WorkloadView): MeshingResult {
  const subject = workload.subject;
  const pods = livePods(workload);

  if (pods.length === 0) {
    const decision = workload.injectionOnRestart;
    if (decision && !decision.injects) {
      return {
        meshedNow: false,
        listing: `NOT MESHED: ${workload.name} (no running pods)`,
        problem: `${workload.name} is not meshed.`,
        finding: {
          subject,
          verdict: "fail",
          message: `not meshed: no running pods, and a pod created from the template now would not be injected: ${decision.reason}`,
          hint: `Remove the opt-out or label the namespace: kubectl label namespace ${workload.namespace} istio-injection=enabled`,
        },
      };
    }
    return {
      meshedNow: false,
      listing: `NO PODS: ${workload.name}`,
      problem: `${workload.name} has no running pods.`,
      finding: {
        subject,
        verdict: "warn",
        message: `no running pods, so no sidecar can be seen${decision ? `; a pod created from the template now would be injected: ${decision.reason}` : ""}`,
        hint: `Scale it up and re-run: kubectl -n ${workload.namespace} get pods`,
      },
    };
  }

  const unmeshed = pods.filter((pod) => pod.sidecar.kind === "none");
  const brokenInit = unmeshed.filter((pod) => pod.sidecar.initContainerNotSidecar);
  if (brokenInit.length > 0) {
    return {
      meshedNow: false,
      listing: `NOT MESHED: ${workload.name} (istio-proxy init container without restartPolicy Always)`,
      problem: `${workload.name} is not meshed.`,
      finding: {
        subject,
        verdict: "fail",
        message: `not meshed: ${brokenInit.map((pod) => pod.name).join(", ")} has an init container named istio-proxy without restartPolicy: Always, so it ran to completion before the app started and proxies nothing`,
        hint: "A native sidecar needs restartPolicy: Always on the istio-proxy init container. Check that the injection templates patch initContainers when ENABLE_NATIVE_SIDECARS=true, then restart the pods.",
      },
    };
  }

  if (unmeshed.length > 0) {
    // A pod whose own labels would be injected now was created before injection applied to it.
    const stale = unmeshed.filter((pod) => pod.injection.injects);
    const excluded = unmeshed.filter((pod) => !pod.injection.injects);
    const partly = unmeshed.length < pods.length ? `${unmeshed.length} of ${pods.length} pods` : "";
    if (excluded.length > 0) {
      const reasons = [...new Set(excluded.map((pod) => pod.injection.reason))];
      return {
        meshedNow: false,
        listing: `NOT MESHED: ${workload.name} (${reasons.join("; ")})`,
        problem: `${workload.name} is not meshed.`,
        finding: {
          subject,
          verdict: "fail",
          message: `not meshed${partly ? ` (${partly} have no sidecar)` : ""}: ${reasons.join("; ")}`,
          hint: `Remove the opt-out from the pod template, or label the namespace (kubectl label namespace ${workload.namespace} istio-injection=enabled), then ${restartCommand(workload)}`,
        },
      };
    }
    return {
      meshedNow: false,
      listing: `STALE: ${workload.name} (no sidecar yet)`,
      problem: `${workload.name} has a stale pod without a sidecar.`,
      finding: {
        subject,
        verdict: "warn",
        message: `stale pod: ${stale.map((pod) => pod.name).join(", ")} has no sidecar, but the injector would inject it now (${stale[0]!.injection.reason}); it was created before injection applied${partly ? ` (${partly} have no sidecar)` : ""}`,
        hint: `Recreate the pods so the injector runs: ${restartCommand(workload)}`,
      },
    };
  }

  const onRestart = workload.injectionOnRestart;
  if (onRestart && !onRestart.injects) {
    return {
      meshedNow: true,
      listing: `MESHED: ${workload.name} (template now opts out)`,
      problem: `${workload.name} would lose its sidecar on the next restart.`,
      finding: {
        subject,
        verdict: "warn",
        message: `stale pod: meshed now (${sidecarLabel(workload)}), but the template would not be injected on the next restart: ${onRestart.reason}`,
        hint: `Decide which state is intended: restore injection in the template, or ${restartCommand(workload)} to apply the opt-out.`,
      },
    };
  }

  return {
    meshedNow: true,
    listing: `MESHED: ${workload.name}`,
    finding: {
      subject,
      verdict: "pass",
      message: `meshed (${sidecarLabel(workload)}): ${plural(pods.length, "pod")} ${pods.length === 1 ? "carries" : "carry"} istio-proxy`,
    },
  };
}

function nameList(names: string[]): string {
  return [...names].sort().join(", ");
}

function meshingSummary(
  apps: { planned: number; meshed: string[] },
  canaries: { planned: number; meshed: string[] },
  meshedWorkloads: WorkloadView[],
  problems: string[],
): string {
  if (apps.planned + canaries.planned === 0)
    return `The plan lists no workloads to mesh.${problems.length ? ` ${problems.join(" ")}` : ""}`;

  const appPart =
    apps.meshed.length === apps.planned
      ? plural(apps.planned, "app service")
      : `${apps.meshed.length} of ${apps.planned} planned app services`;
  let canaryPart = "";
  if (canaries.planned > 0) {
    const prefix =
      canaries.meshed.length === canaries.planned ? "" : `${canaries.meshed.length} of ${canaries.planned} `;
    canaryPart =
      canaries.meshed.length === 1 && canaries.planned === 1
        ? ` + the ${canaries.meshed[0]} canary`
        : ` + ${prefix}${plural(canaries.planned, "canary", "canaries")}${canaries.meshed.length ? ` (${nameList(canaries.meshed)})` : ""}`;
  }

  const native = meshedWorkloads
    .filter((workload) => workload.sidecarKind === "native")
    .map((workload) => workload.name);
  const classic = meshedWorkloads.filter((workload) => workload.sidecarKind === "classic").length;
  const mixed = meshedWorkloads.filter((workload) => workload.sidecarKind === "mixed").map((workload) => workload.name);
  const kinds = [
    native.length ? `${native.length} native: ${nameList(native)}` : "",
    classic ? `${classic} classic` : "",
    mixed.length ? `${mixed.length} mixed: ${nameList(mixed)}` : "",
  ].filter(Boolean);
  const verb = apps.meshed.length + canaries.meshed.length === 1 ? "carries" : "carry";
  const head = `${appPart}${canaryPart} ${verb} istio-proxy${kinds.length ? ` (${kinds.join("; ")})` : ""}.`;
  return problems.length ? `${head} ${problems.join(" ")}` : head;
}

function meshingEvidence(byNamespace: Map<string, Array<{ workload: WorkloadView; listing: string }>>): Evidence[] {
  const evidence: Evidence[] = [];
  for (const [namespace, entries] of [...byNamespace].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...entries].sort((a, b) => a.workload.name.localeCompare(b.workload.name));
    const nativeLines = sorted.flatMap(({ workload }) => {
      const nativePod = workload.pods.find((pod) => pod.sidecar.kind === "native");
      if (!nativePod) return [];
      const init = (nativePod.object.spec?.initContainers ?? []).map((container) => container.name).join(",");
      return [`${workload.name} -> initContainers: ${init}`];
    });
    const podLines = sorted.flatMap(({ workload }) => livePods(workload).map(containersLine));
    const output = [
      ...sorted.map((entry) => entry.listing),
      ...(nativeLines.length ? ["", ...nativeLines] : []),
      "",
      ...podLines,
    ];
    evidence.push(
      objectEvidence(`kubectl -n ${namespace} get pods -o jsonpath='${CONTAINERS_JSONPATH}'`, output.join("\n")),
    );
  }
  return evidence;
}

function runMeshing(model: ClusterModel, plan: RolloutPlan): CheckOutcome {
  const findings: Finding[] = [];
  const apps = { planned: 0, meshed: [] as string[] };
  const canaries = { planned: 0, meshed: [] as string[] };
  const meshedPlanned: WorkloadView[] = [];
  const problems: string[] = [];
  const byNamespace = new Map<string, Array<{ workload: WorkloadView; listing: string }>>();
  const plannedSubjects = new Set<string>();
  const addListing = (workload: WorkloadView, listing: string) => {
    const list = byNamespace.get(workload.namespace) ?? [];
    list.push({ workload, listing });
    byNamespace.set(workload.namespace, list);
  };

  for (const ref of plan.spec.mesh.workloads) {
    const counter = ref.canary ? canaries : apps;
    counter.planned++;
    const subject = subjectOf(ref.kind, ref.namespace, ref.name);
    const { workload, otherKind } = findPlanned(model, ref);
    if (!workload) {
      plannedSubjects.add(otherKind?.subject ?? subject);
      problems.push(`${ref.name} not found.`);
      findings.push({
        subject,
        verdict: "fail",
        message: otherKind
          ? `not found as ${ref.kind}, but ${otherKind.subject} exists: the plan names the wrong kind`
          : `not found: the plan meshes ${subject}, but the input has no such workload or pods`,
        hint: otherKind
          ? `Set kind: ${otherKind.kind} for ${ref.name} in the plan's mesh.workloads.`
          : `Check the name and namespace in the plan: kubectl -n ${ref.namespace} get ${ref.kind.toLowerCase()} ${ref.name}`,
      });
      continue;
    }

    plannedSubjects.add(workload.subject);
    const result = judgePlanned(workload);
    findings.push(result.finding);
    addListing(workload, result.listing);
    if (result.meshedNow) {
      counter.meshed.push(workload.name);
      meshedPlanned.push(workload);
    }
    if (result.problem) problems.push(result.problem);
  }

  const planNamespaces = new Set(plan.spec.mesh.namespaces);
  const unplanned = model
    .meshedWorkloads()
    .filter((workload) => planNamespaces.has(workload.namespace) && !plannedSubjects.has(workload.subject));
  for (const workload of unplanned) {
    addListing(workload, `MESHED: ${workload.name} (not in the plan)`);
    findings.push({
      subject: workload.subject,
      verdict: "warn",
      message: `unplanned: meshed (${sidecarLabel(workload)}) in plan namespace ${workload.namespace}, but the plan's mesh.workloads does not list it`,
      hint: `Add it to the plan's mesh.workloads if meshing it was intended; otherwise opt it out with the pod template label sidecar.istio.io/inject: "false" and ${restartCommand(workload)}`,
    });
  }
  if (unplanned.length) problems.push(`Unplanned: ${nameList(unplanned.map((workload) => workload.name))}.`);

  return {
    summary: meshingSummary(apps, canaries, meshedPlanned, problems),
    findings,
    evidence: meshingEvidence(byNamespace),
    facts: { appServicesMeshed: apps.meshed.length, canariesMeshed: canaries.meshed.length },
  };
}

// ---------------------------------------------------------------------------------------------
// Datastores

interface DatastoreTarget {
  subject: string;
  kind: string;
  namespace: string;
  name: string;
  template?: PodTemplate;
  pods: PodView[];
  podSubjects: Set<string>;
  /** Injector decision for a pod created now from the template, or from the pod's labels when there is no template. */
  onRestart?: InjectionDecision;
  /** True when the decision comes from a running pod's labels because the controller object is not in the input. */
  decidedFromPod: boolean;
  datastores: Set<string>;
}

/** Formats a label selector in kubectl `-l` syntax. */
function kubectlSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(",");
    if (expression.operator === "In") parts.push(`${expression.key} in (${values})`);
    else if (expression.operator === "NotIn") parts.push(`${expression.key} notin (${values})`);
    else if (expression.operator === "Exists") parts.push(expression.key);
    else if (expression.operator === "DoesNotExist") parts.push(`!${expression.key}`);
  }
  return parts.join(",");
}

function leakOf(pod: PodView): string | undefined {
  if (pod.sidecar.kind === "native") return "istio-proxy in initContainers with restartPolicy Always";
  if (pod.sidecar.kind === "classic") return "istio-proxy in containers";
  if (pod.sidecar.initContainerNotSidecar) return "istio-proxy in initContainers";
  if (pod.sidecar.injectedAnnotation) return "sidecar.istio.io/status annotation";
  return undefined;
}

/** Explains why a template would be injected on its next restart, naming the missing opt-out. */
function latentReason(decision: InjectionDecision, labels: Record<string, string>): string {
  if (labels["sidecar.istio.io/inject"] === "true") {
    return `${decision.reason}, and the template's label sidecar.istio.io/inject: "true" opts it in`;
  }
  return `${decision.reason} and the template has no sidecar.istio.io/inject: "false" label`;
}

/**
 * Collects the controllers and pods each datastore selector matches. Pods come from the label index.
 * Templates come from one pass over the workloads and over the Jobs that have no pods, so
 * controllers scaled to zero and finished migration Jobs count too.
 */
function datastoreTargets(
  model: ClusterModel,
  plan: RolloutPlan,
): { targets: Map<string, DatastoreTarget>; empty: string[] } {
  const targets = new Map<string, DatastoreTarget>();
  const matched = new Set<string>();
  const datastores = plan.spec.datastores;
  const inScope = (datastore: (typeof datastores)[number], namespace: string, labels: Record<string, string>) =>
    (datastore.namespace === undefined || datastore.namespace === namespace) &&
    matchesSelector(datastore.selector, labels);

  const targetOf = (workload: WorkloadView): DatastoreTarget => {
    let target = targets.get(workload.subject);
    if (!target) {
      target = {
        subject: workload.subject,
        kind: workload.kind,
        namespace: workload.namespace,
        name: workload.name,
        template: workload.template,
        pods: [],
        podSubjects: new Set(),
        onRestart: workload.injectionOnRestart,
        decidedFromPod: false,
        datastores: new Set(),
      };
      targets.set(workload.subject, target);
    }
    return target;
  };

  for (const datastore of datastores) {
    for (const pod of model.podsMatching(datastore.selector, datastore.namespace)) {
      const workload = model.workload(pod.workload);
      if (!workload) continue;
      const target = targetOf(workload);
      if (!target.podSubjects.has(pod.subject)) {
        target.podSubjects.add(pod.subject);
        target.pods.push(pod);
      }
      target.datastores.add(datastore.name);
      matched.add(datastore.name);
    }
  }

  for (const workload of model.workloads) {
    if (!workload.template) continue;
    for (const datastore of datastores) {
      if (!inScope(datastore, workload.namespace, workload.template.labels)) continue;
      targetOf(workload).datastores.add(datastore.name);
      matched.add(datastore.name);
    }
  }

  // Jobs whose pods are gone are not workloads in the model, but a Helm hook can re-create them.
  for (const job of model.list("Job")) {
    const namespace = job.metadata.namespace ?? "default";
    const subject = subjectOf("Job", namespace, job.metadata.name);
    if (targets.has(subject) || model.workload(subject) || ownedByCronJob(job)) continue;
    const template = podTemplateOf(job);
    if (!template) continue;
    for (const datastore of datastores) {
      if (!inScope(datastore, namespace, template.labels)) continue;
      let target = targets.get(subject);
      if (!target) {
        target = {
          subject,
          kind: "Job",
          namespace,
          name: job.metadata.name,
          template,
          pods: [],
          podSubjects: new Set(),
          onRestart: model.decideInjection(
            namespace,
            template.labels,
            template.annotations,
            template.spec.hostNetwork === true,
          ),
          decidedFromPod: false,
          datastores: new Set(),
        };
        targets.set(subject, target);
      }
      target.datastores.add(datastore.name);
      matched.add(datastore.name);
    }
  }

  for (const target of targets.values()) {
    if (!target.onRestart && target.pods[0]) {
      target.onRestart = target.pods[0].injection;
      target.decidedFromPod = true;
    }
  }

  return {
    targets,
    empty: datastores.filter((datastore) => !matched.has(datastore.name)).map((datastore) => datastore.name),
  };
}

function ownedByCronJob(job: KubeObject): boolean {
  return (job.metadata.ownerReferences ?? []).some((owner) => owner.kind === "CronJob");
}

function judgeDatastore(target: DatastoreTarget): Finding[] {
  const findings: Finding[] = [];
  const names = [...target.datastores].join(", ");
  const label = `datastore ${names}`;
  const leaks = target.pods.flatMap((pod) => {
    const leak = leakOf(pod);
    return leak ? [`${pod.name} (${leak})`] : [];
  });
  if (leaks.length > 0) {
    findings.push({
      subject: target.subject,
      verdict: "fail",
      message: `${label} runs with a sidecar: ${leaks.join(", ")}`,
      hint: `Add the label sidecar.istio.io/inject: "false" to the pod template, then recreate the pods: kubectl -n ${target.namespace} delete pod ${target.pods.map((pod) => pod.name).join(" ")}`,
    });
  }

  const decision = target.onRestart;
  const labels = target.template?.labels ?? target.pods[0]?.labels ?? {};
  const podsNote = target.pods.length === 0 ? " (no pods now)" : "";
  if (decision?.injects) {
    const source = target.decidedFromPod
      ? " (judged from the pod's labels: the controller object is not in the input)"
      : "";
    const assumed = decision.assumedChartDefaults
      ? " (webhooks assumed from the Istio 1.23 chart: no MutatingWebhookConfiguration in the input)"
      : "";
    findings.push({
      subject: target.subject,
      verdict: "fail",
      message: `${label} would get a sidecar on its next restart${podsNote}: ${latentReason(decision, labels)}${source}${assumed}`,
      hint: `Add sidecar.istio.io/inject: "false" to the pod template labels (kubectl -n ${target.namespace} patch ${target.kind.toLowerCase()} ${target.name} ...), or keep the datastore in a namespace without istio-injection=enabled.`,
    });
  } else if (leaks.length === 0) {
    findings.push({
      subject: target.subject,
      verdict: "pass",
      message: decision
        ? `${label}: no sidecar${podsNote}; a restart would not inject it: ${decision.reason}`
        : `${label}: no sidecar${podsNote}`,
    });
  }
  return findings;
}

function runDatastores(model: ClusterModel, plan: RolloutPlan): CheckOutcome {
  const { targets, empty } = datastoreTargets(model, plan);
  const sorted = [...targets.values()].sort((a, b) => a.subject.localeCompare(b.subject));
  const findings = sorted.flatMap(judgeDatastore);
  for (const name of empty) {
    const datastore = plan.spec.datastores.find((candidate) => candidate.name === name)!;
    findings.push({
      subject: `Datastore ${name}`,
      verdict: "warn",
      message: `selector ${kubectlSelector(datastore.selector)}${datastore.namespace ? ` in namespace ${datastore.namespace}` : ""} matches no pod and no controller template: the plan may be wrong, so this datastore is not checked`,
      hint: `Compare with the real labels: kubectl get pods -A --show-labels | grep -i ${name}`,
    });
  }

  const running = sorted.filter((target) => target.pods.some((pod) => leakOf(pod))).map((target) => target.subject);
  const latent = sorted.filter((target) => target.onRestart?.injects).map((target) => target.subject);
  let summary: string;
  if (running.length + latent.length === 0) {
    summary =
      plan.spec.datastores.length === 0
        ? "The plan lists no datastores."
        : `No datastore carries a sidecar; all ${plural(sorted.length, "datastore workload")} opt out or sit in namespaces that do not inject.`;
  } else {
    const parts = [
      running.length ? `${running.join(", ")} ${running.length === 1 ? "runs" : "run"} with a sidecar` : "",
      latent.length
        ? `${latent.join(", ")} would get one on ${latent.length === 1 ? "its" : "their"} next restart`
        : "",
    ].filter(Boolean);
    summary = `Datastore sidecar leak: ${parts.join("; ")}.`;
  }
  if (empty.length) summary += ` Matching nothing: ${empty.join(", ")}.`;

  const podLines = sorted.flatMap((target) =>
    target.pods.map((pod) => {
      const leak = leakOf(pod);
      return leak
        ? `LEAK: ${pod.namespace}/${pod.name} (${leak})`
        : `ok: ${pod.namespace}/${pod.name} ${containersLine(pod).slice(pod.name.length + 1)}`;
    }),
  );
  if (!podLines.some((line) => line.startsWith("LEAK")))
    podLines.push("(no LEAK lines above: no datastore pod carries a sidecar)");
  const selectors = plan.spec.datastores.map((datastore) => `'${kubectlSelector(datastore.selector)}'`).join(" ");
  const evidence: Evidence[] = [
    objectEvidence(
      `for sel in ${selectors}; do kubectl get pods -A -l "$sel" -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{" containers="}{.spec.containers[*].name}{" init="}{range .spec.initContainers[*]}{.name}{"="}{.restartPolicy}{" "}{end}{" status="}{.metadata.annotations.sidecar\\.istio\\.io/status}{"\\n"}{end}'; done`,
      podLines.join("\n"),
    ),
    objectEvidence(
      "kubectl get deploy,statefulset,daemonset,job,cronjob -A -o yaml   # template labels sidecar.istio.io/inject, namespace labels",
      table(
        ["WORKLOAD", "PODS", "INJECT LABEL", "ON RESTART"],
        sorted.map((target) => [
          target.subject,
          String(target.pods.length),
          (target.template?.labels ?? target.pods[0]?.labels)?.["sidecar.istio.io/inject"] ?? "<none>",
          target.onRestart
            ? `${target.onRestart.injects ? "INJECTS" : "no sidecar"}: ${target.onRestart.reason}`
            : "unknown",
        ]),
      ),
    ),
  ];
  return { summary, findings, evidence };
}

export const injectionChecks: CheckDefinition[] = [
  {
    id: "MP-INJ-01",
    category: "injection",
    title: "Every workload the plan meshes carries a sidecar",
    proves:
      "Each workload the plan meshes exists and every running pod carries istio-proxy, as a regular container (classic) or as an init container with restartPolicy Always (native); no meshed workload in the plan's namespaces is missing from the plan.",
    reads: [
      "Pods",
      "Deployments, StatefulSets, DaemonSets, CronJobs (pod templates)",
      "Namespace labels",
      "MutatingWebhookConfiguration istio-sidecar-injector",
      "plan: mesh.workloads, mesh.namespaces",
    ],
    needs: ["pods", "namespaces"],
    requiresPlan: true,
    run: ({ model, plan }) => runMeshing(model, plan!),
  },
  {
    id: "MP-INJ-02",
    category: "injection",
    title: "No datastore carries a sidecar, now or after its next restart",
    proves:
      "No pod matching a datastore selector has istio-proxy or the sidecar.istio.io/status annotation, and no matching controller template (StatefulSets scaled to zero, Jobs and CronJobs included) would be injected when its pods are next created.",
    reads: [
      "Pods",
      "Deployments, StatefulSets, DaemonSets, Jobs, CronJobs (pod templates)",
      "Namespace labels",
      "MutatingWebhookConfiguration istio-sidecar-injector",
      "plan: datastores",
    ],
    needs: ["pods", "namespaces"],
    requiresPlan: true,
    run: ({ model, plan }) => runDatastores(model, plan!),
  },
];
