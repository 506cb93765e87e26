import type { ClusterModel, PodView, WorkloadView } from "../model/cluster.js";
import type { ContainerStatus } from "../model/kube.js";
import type { RolloutPlan } from "../plan/schema.js";
import { objectEvidence, table } from "./evidence.js";
import type { CheckDefinition, CheckOutcome, Evidence, EvidenceStrength, Finding, Verdict } from "./types.js";

/** Waiting reasons that mean a container keeps failing, not that it is starting. */
const FAILING_REASONS = new Set([
  "CrashLoopBackOff",
  "Error",
  "RunContainerError",
  "CreateContainerError",
  "CreateContainerConfigError",
  "StartError",
  "ErrImagePull",
  "ImagePullBackOff",
]);

/** The kubelet's default maximum crash-loop back-off, in seconds. */
const BACKOFF_CAP_SECONDS = 300;
/**
 * Restarts before the back-off reaches the cap: delays double from 10 s (10, 20, 40, 80, 160) and
 * the sixth is capped at 300 s. Counting every restart after the sixth at the cap gives the lower
 * bound 300·(R−6) seconds of crash-looping for R restarts.
 */
const RESTARTS_BEFORE_CAP = 6;
/** Without a window start, a restart counts as recent when its container exited within this period. */
const RECENT_WITHOUT_WINDOW_MS = 3_600_000;
const SUMMARY_NAME_LIMIT = 12;

function livePods(workload: WorkloadView): PodView[] {
  return workload.pods.filter((pod) => pod.phase !== "Succeeded" && pod.phase !== "Failed");
}

function hours(seconds: number): string {
  return `${(seconds / 3600).toFixed(1)} h`;
}

function iso(date: Date): string {
  return date.toISOString().replace(".000Z", "Z");
}

/** Formats the READY column kubectl prints: ready regular containers over regular containers. */
function readyColumn(pod: PodView): string {
  const statuses = pod.object.status?.containerStatuses ?? [];
  const total = pod.object.spec?.containers?.length ?? statuses.length;
  return `${statuses.filter((status) => status.ready).length}/${total}`;
}

function statusColumn(pod: PodView): string {
  return pod.waitingReason ?? pod.phase;
}

function allStatuses(pod: PodView): ContainerStatus[] {
  return [...(pod.object.status?.initContainerStatuses ?? []), ...(pod.object.status?.containerStatuses ?? [])];
}

// ---------------------------------------------------------------------------------------------
// MP-HEALTH-01: meshed workloads are ready

/** Detects a native proxy that never passed its startup probe, which keeps every app container in PodInitializing. */
function stuckInitializing(pod: PodView): boolean {
  if (pod.sidecar.kind !== "native" || pod.sidecar.status?.ready === true) return false;
  return (
    pod.phase === "Pending" || pod.appStatuses.some((status) => status.state?.waiting?.reason === "PodInitializing")
  );
}

function desiredOf(workload: WorkloadView, pods: PodView[]): number {
  const status = workload.object?.status;
  if (workload.desiredReplicas !== undefined) return workload.desiredReplicas;
  if (typeof status?.desiredNumberScheduled === "number") return status.desiredNumberScheduled;
  return pods.length;
}

function runReadiness(model: ClusterModel): CheckOutcome {
  const findings: Finding[] = [];
  const outages: string[] = [];
  const rows: string[][] = [];
  const readyNames: string[] = [];
  const notReadyNames: string[] = [];
  const workloads = [...model.meshedWorkloads()].sort((a, b) => a.name.localeCompare(b.name));

  for (const workload of workloads) {
    const pods = livePods(workload);
    const desired = desiredOf(workload, pods);
    const readyPods = pods.filter((pod) => pod.ready).length;
    const ready = workload.readyReplicas ?? readyPods;
    const proxiesReady = pods.filter((pod) => pod.sidecar.kind === "none" || pod.sidecar.status?.ready === true).length;
    const ratio = `${ready}/${desired}`;
    rows.push([workload.subject, ratio, `${readyPods}/${pods.length}`, `${proxiesReady}/${pods.length}`]);

    const stuck = pods.filter(stuckInitializing);
    if (stuck.length > 0) {
      outages.push(workload.subject);
      notReadyNames.push(`${workload.name} ${ratio}`);
      findings.push({
        subject: workload.subject,
        verdict: "fail",
        message: `${stuck.map((pod) => pod.name).join(", ")} stuck in PodInitializing: the native istio-proxy has not passed its startup probe (15021 /healthz/ready), so no app container starts. With SPIRE the usual cause is a missing registration entry for the pod, which leaves the proxy without an SVID.`,
        hint: `kubectl -n ${workload.namespace} logs ${stuck[0]!.name} -c istio-proxy; then check that a ClusterSPIFFEID selects the pod: spire-server entry show -selector k8s:pod-name:${stuck[0]!.name}`,
      });
      continue;
    }

    const notReady = pods.filter(
      (pod) => !pod.ready || (pod.sidecar.kind !== "none" && pod.sidecar.status?.ready === false),
    );
    if (ready < desired || notReady.length > 0) {
      outages.push(workload.subject);
      notReadyNames.push(`${workload.name} ${ratio}`);
      const details = notReady.map((pod) => {
        const proxy =
          pod.sidecar.kind !== "none" && pod.sidecar.status?.ready === false ? ", istio-proxy not ready" : "";
        return `${pod.name} ${readyColumn(pod)} ${statusColumn(pod)}${proxy}`;
      });
      findings.push({
        subject: workload.subject,
        verdict: "fail",
        message: `not ready: ${ratio} replicas ready${details.length ? `; ${details.join("; ")}` : ""}`,
        hint: `kubectl -n ${workload.namespace} describe pod ${notReady[0]?.name ?? ""} and kubectl -n ${workload.namespace} logs ${notReady[0]?.name ?? "<pod>"} -c istio-proxy`,
      });
      continue;
    }
    readyNames.push(`${workload.name} ${ratio}`);
    findings.push({
      subject: workload.subject,
      verdict: "pass",
      message: `ready ${ratio}; every pod and its istio-proxy ready`,
    });
  }

  const total = workloads.length;
  const listed = (entries: string[]) =>
    entries.length > SUMMARY_NAME_LIMIT
      ? `${entries.slice(0, SUMMARY_NAME_LIMIT).join(", ")} and ${entries.length - SUMMARY_NAME_LIMIT} more`
      : entries.join(", ");
  const summary =
    total === 0
      ? "No meshed workloads."
      : notReadyNames.length === 0
        ? `${total}/${total} meshed workloads ready (${listed(readyNames)}).`
        : `${readyNames.length}/${total} meshed workloads ready; not ready: ${listed(notReadyNames)}.`;
  return {
    summary,
    findings,
    evidence: rows.length
      ? [
          objectEvidence(
            "kubectl get deploy,statefulset,daemonset -A; kubectl get pods -A",
            table(["WORKLOAD", "READY", "PODS READY", "PROXIES READY"], rows),
          ),
        ]
      : [],
    facts: outages.length ? { outages } : undefined,
    verdict: total === 0 ? "info" : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// MP-HEALTH-02: failing pods attributed to before or after the rollout window

interface Attribution {
  verdict: Verdict;
  strength?: EvidenceStrength;
  basis: string[];
  message: string;
  hint?: string;
  /** Short label for the summary. */
  label: "caused by the rollout" | "pre-existing" | "undecided";
}

/** Describes why a pod counts as failing, or returns undefined when it does not. */
function failureOf(pod: PodView, windowStart: Date | undefined, now: Date): string | undefined {
  if (pod.phase === "Succeeded") return undefined;
  if (pod.phase === "Failed") return "pod phase Failed";
  const statuses = allStatuses(pod);
  const waiting = statuses.find((status) => FAILING_REASONS.has(status.state?.waiting?.reason ?? ""));
  if (waiting) return `${waiting.name} ${waiting.state?.waiting?.reason}, ${waiting.restartCount ?? 0} restarts`;
  const recentSince = windowStart ?? new Date(now.getTime() - RECENT_WITHOUT_WINDOW_MS);
  const restarted = statuses.find((status) => {
    if ((status.restartCount ?? 0) === 0 || !status.lastState?.terminated) return false;
    const finished = status.lastState.terminated.finishedAt;
    return finished === undefined || new Date(finished) >= recentSince;
  });
  if (restarted) {
    const finished = restarted.lastState?.terminated?.finishedAt;
    return `${restarted.name} restarted ${restarted.restartCount} times, last exit ${finished ?? "(time not recorded)"}`;
  }
  if (!pod.ready) return "not ready";
  return undefined;
}

function statusFailing(status: ContainerStatus | undefined, windowStart: Date | undefined): string | undefined {
  if (!status) return undefined;
  const reason = status.state?.waiting?.reason;
  if (reason && FAILING_REASONS.has(reason)) return `${status.name} ${reason}`;
  const exit = status.state?.terminated?.exitCode;
  if (exit !== undefined && exit !== 0) return `${status.name} exited ${exit}`;
  if (status.ready === false && status.name !== "istio-init") return `${status.name} not ready`;
  const finished = status.lastState?.terminated?.finishedAt;
  if ((status.restartCount ?? 0) > 0 && (!windowStart || !finished || new Date(finished) >= windowStart)) {
    return `${status.name} restarted ${status.restartCount} times`;
  }
  return undefined;
}

/** PeerAuthentications that set STRICT anywhere and AuthorizationPolicies: the objects that let the mesh reject a plaintext caller. */
function rejectingPolicies(model: ClusterModel): string[] {
  const strict = model.list("PeerAuthentication").filter((policy) => {
    const spec = policy.spec ?? {};
    const ports = Object.values((spec.portLevelMtls ?? {}) as Record<string, { mode?: string }>);
    return spec.mtls?.mode === "STRICT" || ports.some((port) => port.mode === "STRICT");
  });
  const authorization = model.list("AuthorizationPolicy");
  return [...strict, ...authorization].map(
    (object) => `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`,
  );
}

/**
 * Attributes one failing pod, following an evidence ladder:
 *  - a failing istio-proxy or istio-init is a mesh signature: caused by the rollout (strong);
 *  - a pod injected and created after the window opened that fails: caused by the rollout (medium);
 *  - a pod never touched by the mesh and created before the window opened: pre-existing. R restarts
 *    take at least 300·(R−6) s at the default back-off cap. When that exceeds the time the window
 *    has been open, the loop began before it, and the attribution is strong.
 *    Otherwise pod age is the only proof that the pod predates the window (medium). It stays
 *    pre-existing only while no STRICT PeerAuthentication or AuthorizationPolicy exists, because
 *    without them the mesh cannot reject an unmeshed pod's plaintext calls. With them it is a
 *    warning that needs the pod's previous logs.
 *  - anything else is undecided, naming the missing evidence.
 */
function attribute(
  pod: PodView,
  failure: string,
  windowStart: Date | undefined,
  now: Date,
  rejecting: string[],
  planGiven: boolean,
): Attribution {
  const proxyFailure =
    statusFailing(pod.sidecar.status, windowStart) ?? statusFailing(pod.sidecar.istioInit, windowStart);
  if (proxyFailure) {
    return {
      verdict: "fail",
      strength: "strong",
      basis: ["istio-proxy status", "istio-init status"],
      label: "caused by the rollout",
      message: `caused by the rollout: the mesh's own container is failing (${proxyFailure}); ${failure}`,
      hint: `kubectl -n ${pod.namespace} logs ${pod.name} -c istio-proxy --previous`,
    };
  }

  const touched = pod.sidecar.kind !== "none" || pod.sidecar.injectedAnnotation || pod.sidecar.initContainerNotSidecar;
  const created = pod.createdAt;
  if (!windowStart) {
    return {
      verdict: "unknown",
      basis: [],
      label: "undecided",
      message: `no rollout window start is known (${planGiven ? "the plan has no spec.window.start" : "no plan was given"}), so the failure cannot be placed before or after the rollout (${failure})`,
      hint: planGiven
        ? "Set spec.window.start in the plan to the time the rollout began."
        : "Pass --plan FILE with spec.window.start set to the time the rollout began.",
    };
  }
  if (!created) {
    return {
      verdict: "unknown",
      basis: [],
      label: "undecided",
      message: `the pod has no creationTimestamp, so its age cannot be compared with the window (${failure})`,
    };
  }

  const createdText = `created ${iso(created)}`;
  const windowText = `the window opened at ${iso(windowStart)}`;
  if (touched) {
    if (created >= windowStart) {
      return {
        verdict: "fail",
        strength: "medium",
        basis: ["sidecar", "pod age"],
        label: "caused by the rollout",
        message: `caused by the rollout: injected and ${createdText}, after ${windowText}, and failing since (${failure})`,
        hint: `Compare with the pod's previous logs: kubectl -n ${pod.namespace} logs ${pod.name} --previous; kubectl -n ${pod.namespace} logs ${pod.name} -c istio-proxy`,
      };
    }
    return {
      verdict: "unknown",
      basis: ["sidecar", "pod age"],
      label: "undecided",
      message: `carries a sidecar and was ${createdText}, before ${windowText}; nothing shows whether the failure began before or after (${failure}). kube-state-metrics restart history from before the window would decide.`,
    };
  }

  if (created >= windowStart) {
    return {
      verdict: "unknown",
      basis: ["pod age", "no sidecar"],
      label: "undecided",
      message: `${createdText}, after ${windowText}, with no sidecar: not caused by injection, but nothing shows it predates the rollout (${failure}); kube-state-metrics history before the window would decide`,
    };
  }

  const restarts = pod.restarts;
  const boundSeconds = restarts > RESTARTS_BEFORE_CAP ? BACKOFF_CAP_SECONDS * (restarts - RESTARTS_BEFORE_CAP) : 0;
  const openSeconds = Math.round((now.getTime() - windowStart.getTime()) / 1000);
  const untouched = `${createdText}, before ${windowText}, and never touched by the mesh (no istio-proxy, no sidecar.istio.io/status)`;
  const boundText =
    restarts > RESTARTS_BEFORE_CAP
      ? `${restarts} restarts imply at least ${BACKOFF_CAP_SECONDS}·(${restarts}−${RESTARTS_BEFORE_CAP}) = ${boundSeconds} s (${hours(boundSeconds)}) of crash-looping at the kubelet's default ${BACKOFF_CAP_SECONDS} s back-off cap`
      : `${restarts} restarts are too few for the back-off bound (it needs more than ${RESTARTS_BEFORE_CAP})`;
  const openText = `the ${openSeconds} s (${hours(openSeconds)}) the window had been open at ${iso(now)}`;
  const basis = ["pod age", "no sidecar", "no sidecar.istio.io/status", "restart count"];

  if (boundSeconds > openSeconds) {
    return {
      verdict: "info",
      strength: "strong",
      basis: [...basis, "back-off bound"],
      label: "pre-existing",
      message: `pre-existing: ${untouched}. ${boundText}. That is more than ${openText}, so the loop began before the window. This assumes the default back-off cap; a node with a changed crashLoopBackOff setting weakens it.`,
    };
  }
  if (rejecting.length === 0) {
    return {
      verdict: "info",
      strength: "medium",
      basis: [...basis, "no STRICT PeerAuthentication or AuthorizationPolicy"],
      label: "pre-existing",
      message: `pre-existing: ${untouched}. No STRICT PeerAuthentication or AuthorizationPolicy exists, so the mesh cannot reject its plaintext calls. ${boundText}. ${boundSeconds > 0 ? `That is less than ${openText}, so the` : "The"} restart count alone does not prove the loop began before the window; kube-state-metrics restart history from before the window would.`,
    };
  }
  return {
    verdict: "warn",
    strength: "medium",
    basis,
    label: "undecided",
    message: `only the pod's age shows it predates the rollout: ${untouched}. ${boundText}. ${boundSeconds > 0 ? `That is less than ${openText}, so the` : "The"} restart count does not prove the start. ${rejecting.slice(0, 3).join(", ")}${rejecting.length > 3 ? ` and ${rejecting.length - 3} more` : ""} could reject its calls.`,
    hint: `Look for mesh signatures in the previous logs ("RBAC: access denied", "upstream connect error", connection resets): kubectl -n ${pod.namespace} logs ${pod.name} --previous`,
  };
}

/** Namespaces the plan touches, or undefined to look at every pod. */
function scopeNamespaces(plan: RolloutPlan | undefined): string[] | undefined {
  if (!plan) return undefined;
  const spec = plan.spec;
  const namespaces = new Set<string>([
    ...spec.mesh.namespaces,
    ...spec.mesh.workloads.map((workload) => workload.namespace),
    ...spec.unmeshedClients.map((client) => client.namespace),
    ...spec.policyExceptions.map((exception) => exception.namespace),
    ...spec.phases.next.flatMap((phase) => [
      ...(phase.namespaces ?? []),
      ...(phase.workloads ?? []).map((workload) => workload.namespace),
    ]),
    spec.istio.namespace,
  ]);
  if (spec.ingress) namespaces.add(spec.ingress.namespace);
  for (const datastore of spec.datastores) if (datastore.namespace) namespaces.add(datastore.namespace);
  return [...namespaces].sort();
}

function runAttribution(model: ClusterModel, plan: RolloutPlan | undefined): CheckOutcome {
  const windowStartText = plan?.spec.window?.start;
  const windowStart = windowStartText ? new Date(windowStartText) : undefined;
  const now = model.now;
  const namespaces = scopeNamespaces(plan);
  const pods = namespaces ? namespaces.flatMap((namespace) => model.podsInNamespace(namespace)) : model.pods;
  const rejecting = rejectingPolicies(model);

  const findings: Finding[] = [];
  const rows: string[][] = [];
  const outages = new Set<string>();
  const preExisting: string[] = [];
  const byLabel = new Map<Attribution["label"], string[]>();
  const evidence: Evidence[] = [];

  for (const pod of pods) {
    const failure = failureOf(pod, windowStart, now);
    if (!failure) continue;
    const result = attribute(pod, failure, windowStart, now, rejecting, plan !== undefined);
    const workloadName = pod.workload.split("/").pop() ?? pod.name;
    const meshed = pod.sidecar.kind === "none" ? "not meshed" : `${pod.sidecar.kind} sidecar`;
    findings.push({
      subject: pod.subject,
      verdict: result.verdict,
      message: result.message,
      strength: result.strength,
      basis: result.basis,
      hint: result.hint,
    });
    byLabel.set(result.label, [
      ...(byLabel.get(result.label) ?? []),
      `${workloadName} (${pod.restarts} restarts, ${meshed})`,
    ]);
    if (result.label === "caused by the rollout") outages.add(pod.workload);
    if (result.label === "pre-existing") {
      preExisting.push(`${pod.name} (${pod.workload}): ${failure}; ${meshed}, created before the window opened.`);
    }
    rows.push([
      `${pod.namespace}/${pod.name}`,
      readyColumn(pod),
      statusColumn(pod),
      String(pod.restarts),
      meshed,
      pod.createdAt ? iso(pod.createdAt) : "?",
      result.label,
    ]);
    const statuses = pod.object.status?.containerStatuses ?? [];
    evidence.push(
      objectEvidence(
        `kubectl -n ${pod.namespace} get pod ${pod.name} -o jsonpath='{.metadata.creationTimestamp} {.status.containerStatuses[*].restartCount} {.status.containerStatuses[*].lastState.terminated.finishedAt}'`,
        `${pod.object.metadata.creationTimestamp ?? ""} ${statuses.map((status) => status.restartCount ?? 0).join(" ")} ${statuses
          .map((status) => status.lastState?.terminated?.finishedAt ?? "")
          .filter(Boolean)
          .join(" ")}`.trim(),
      ),
    );
  }

  const scope = namespaces ? `in ${namespaces.join(", ")}` : "in all namespaces";
  const clock = `now ${iso(now)} from ${model.nowSource}`;
  const windowNote = windowStart ? `window opened ${iso(windowStart)}, ${clock}` : `no window start known, ${clock}`;
  let summary: string;
  if (findings.length === 0) {
    summary = `No failing pods ${scope} (${windowNote}).`;
  } else {
    const parts = (["caused by the rollout", "pre-existing", "undecided"] as const)
      .filter((label) => byLabel.has(label))
      .map((label) => `${label}: ${byLabel.get(label)!.join(", ")}`);
    // Only a window start lets a failure be ruled out as caused by the rollout.
    if (windowStart && !byLabel.has("caused by the rollout")) parts.push("none caused by the rollout");
    summary = `${parts.join("; ")} (${windowNote}).`;
  }

  if (rows.length) {
    evidence.unshift(
      objectEvidence(
        namespaces
          ? namespaces.map((namespace) => `kubectl -n ${namespace} get pods -o wide`).join("; ")
          : "kubectl get pods -A -o wide",
        table(["POD", "READY", "STATUS", "RESTARTS", "SIDECAR", "CREATED", "ATTRIBUTION"], rows),
      ),
    );
  }

  const facts: Record<string, unknown> = {};
  if (outages.size) facts.outages = [...outages];
  if (preExisting.length) facts.preExisting = preExisting;
  return {
    summary,
    findings,
    evidence,
    facts: Object.keys(facts).length ? facts : undefined,
    verdict: findings.length === 0 ? "pass" : undefined,
  };
}

export const workloadHealthChecks: CheckDefinition[] = [
  {
    id: "MP-HEALTH-01",
    category: "workload-health",
    title: "Meshed workloads are ready",
    proves:
      "Every meshed workload has its desired replicas ready, each pod and its istio-proxy report ready, and no native-sidecar pod is held in PodInitializing by a proxy that never started.",
    reads: [
      "Deployments, StatefulSets, DaemonSets (status.readyReplicas)",
      "Pods (conditions, containerStatuses, initContainerStatuses)",
    ],
    needs: ["pods"],
    run: ({ model }) => runReadiness(model),
  },
  {
    id: "MP-HEALTH-02",
    category: "workload-health",
    title: "Failing pods are attributed to before or after the rollout",
    proves:
      "Each failing pod is placed before or after the rollout window from its sidecar state, creation time and restart count, with the evidence and its strength named; a failing proxy or a pod injected during the window counts as caused by the rollout.",
    reads: [
      "Pods (creationTimestamp, containerStatuses, initContainerStatuses, sidecar.istio.io/status)",
      "PeerAuthentications and AuthorizationPolicies (whether the mesh can reject plaintext callers)",
      "plan: window.start, namespaces",
    ],
    needs: ["pods"],
    run: ({ model, plan }) => runAttribution(model, plan),
  },
];
