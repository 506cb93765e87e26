import { collectedKindOf, resourceName } from "../collect/kinds.js";
import type { ClusterModel, PodView } from "../model/cluster.js";
import type { KubeObject, LabelSelector } from "../model/kube.js";
import { subjectOf } from "../model/kube.js";
import type { EffectiveMtls } from "../model/mtls.js";
import { formatSelector, isEmptySelector } from "../model/selectors.js";
import type { RolloutPlan } from "../plan/schema.js";
import { objectEvidence, table } from "./evidence.js";
import type { CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

type PolicyException = RolloutPlan["spec"]["policyExceptions"][number];

interface PeerAuthenticationSpec {
  selector?: LabelSelector;
  mtls?: { mode?: string };
  portLevelMtls?: Record<string, { mode?: string }>;
}

interface ExceptionJudgement {
  findings: Finding[];
  evidence: Evidence[];
  summary: string;
}

function workloadNames(pods: PodView[]): string {
  return [...new Set(pods.map((pod) => pod.workload.split("/").pop() ?? pod.name))].sort().join(", ");
}

/** Returns the level at which a policy took part in a pod's effective mode, if it did. */
function appliedLevel(effective: EffectiveMtls, subject: string): "workload" | "namespace" | "mesh" | undefined {
  if (effective.workload === subject) return "workload";
  if (effective.namespace === subject) return "namespace";
  if (effective.mesh === subject) return "mesh";
  return undefined;
}

function selectedPods(model: ClusterModel, object: KubeObject, selector: LabelSelector | undefined): PodView[] {
  const namespace = object.metadata.namespace ?? "";
  if (!isEmptySelector(selector)) return model.podsMatching(selector!, namespace);
  // A policy without a selector covers its namespace, or the whole mesh from the root namespace.
  return namespace === model.mesh.rootNamespace ? model.pods : model.podsInNamespace(namespace);
}

function judgePeerAuthentication(model: ClusterModel, exception: PolicyException): ExceptionJudgement {
  const subject = subjectOf("PeerAuthentication", exception.namespace, exception.name);
  const object = model.get("PeerAuthentication", exception.namespace, exception.name);
  if (!object) {
    return {
      findings: [
        {
          subject,
          verdict: "fail",
          message: `not found: the plan relies on it (${exception.reason}), but the input has no such PeerAuthentication`,
          hint: `Apply it, or correct the plan's name and namespace: kubectl -n ${exception.namespace} get peerauthentication`,
        },
      ],
      evidence: [],
      summary: `${exception.name} not found.`,
    };
  }

  const spec = (object.spec ?? {}) as PeerAuthenticationSpec;
  const mode = spec.mtls?.mode ?? "UNSET";
  const selector = spec.selector;
  const selectorText = isEmptySelector(selector) ? "no selector" : `selector ${formatSelector(selector)}`;
  const findings: Finding[] = [];
  const evidence: Evidence[] = [
    objectEvidence(
      `kubectl -n ${exception.namespace} get peerauthentication ${exception.name} -o jsonpath='{.metadata.name}{": mode="}{.spec.mtls.mode}{" selector="}{.spec.selector.matchLabels}'`,
      `${exception.name}: mode=${mode} selector=${JSON.stringify(selector?.matchLabels ?? {})}`,
    ),
  ];

  if (exception.mode && mode !== exception.mode) {
    findings.push({
      subject,
      verdict: "fail",
      message: `mode ${mode}, but the plan's exception keeps ${exception.mode}`,
      hint: `kubectl -n ${exception.namespace} patch peerauthentication ${exception.name} --type merge -p '{"spec":{"mtls":{"mode":"${exception.mode}"}}}'`,
    });
  }

  if (!isEmptySelector(selector) && exception.namespace === model.mesh.rootNamespace) {
    findings.push({
      subject,
      verdict: "fail",
      message: `ignored: a PeerAuthentication with a selector in the root namespace ${model.mesh.rootNamespace} applies to nothing`,
      hint: "Move it to the namespace of the pods it selects.",
    });
    return { findings, evidence, summary: `${exception.name} is ignored (selector policy in the root namespace).` };
  }

  const pods = selectedPods(model, object, selector);
  if (pods.length === 0) {
    const elsewhere = isEmptySelector(selector)
      ? []
      : model.podsMatching(selector!).filter((pod) => pod.namespace !== exception.namespace);
    const namespaces = [...new Set(elsewhere.map((pod) => pod.namespace))].sort();
    findings.push({
      subject,
      verdict: "warn",
      message: `present, ${selectorText}, but it selects no pod in namespace ${exception.namespace}${namespaces.length ? `; pods in ${namespaces.join(", ")} match, and a selector PeerAuthentication applies only in its own namespace` : ""}`,
      hint: namespaces.length
        ? `Move it to namespace ${namespaces[0]}: the policy must sit in the namespace of the pods it selects.`
        : `Compare the selector with the pod labels: kubectl -n ${exception.namespace} get pods --show-labels`,
    });
    return { findings, evidence, summary: `${exception.name} applied, ${selectorText}; it selects nothing.` };
  }

  const meshed = pods.filter((pod) => pod.sidecar.kind !== "none");
  const unmeshed = pods.filter((pod) => pod.sidecar.kind === "none");
  const rows = pods.map((pod) => [
    pod.name,
    pod.sidecar.kind === "none" ? "none" : pod.sidecar.kind,
    pod.sidecar.kind === "none" ? "(not enforced)" : model.effectiveMtls(pod).mode,
  ]);
  evidence.push(
    objectEvidence(
      `kubectl -n ${exception.namespace} get pods${isEmptySelector(selector) ? "" : ` -l ${formatSelector(selector)}`} -o custom-columns=NAME:.metadata.name,CONTAINERS:.spec.containers[*].name,INIT:.spec.initContainers[*].name`,
      table(["POD", "SIDECAR", "EFFECTIVE MTLS"], rows),
    ),
  );

  const callerNamespaces = (exception.callers ?? []).map((caller) => caller.namespace).join(", ");
  const callers = callerNamespaces ? ` for sidecar-less callers in ${callerNamespaces}` : "";
  const portProblems = portLevelProblems(spec, pods);
  for (const problem of portProblems)
    findings.push({
      subject,
      verdict: "warn",
      message: problem,
      hint: "portLevelMtls keys are container ports, not Service ports.",
    });

  if (meshed.length === 0) {
    const names = workloadNames(unmeshed);
    const single = new Set(unmeshed.map((pod) => pod.workload)).size === 1;
    const has = single ? "has" : "have";
    findings.push({
      subject,
      verdict: "info",
      message: `present; no effect today: ${names} ${has} no sidecar, so PeerAuthentication does not apply to ${single ? "it" : "them"}; it becomes effective if ${names} ${single ? "is" : "are"} meshed${callerNamespaces ? `, and then keeps ${mode} for sidecar-less callers in ${callerNamespaces}` : ""}`,
    });
    return {
      findings,
      evidence,
      summary: `${exception.name} applied, ${selectorText}; no effect today (${names} ${has} no sidecar).`,
    };
  }

  const expectedMode = exception.mode ?? mode;
  const overridden: string[] = [];
  for (const pod of meshed) {
    const effective = model.effectiveMtls(pod);
    const level = appliedLevel(effective, subject);
    const ignored = effective.ignored.find((entry) => entry.subject === subject);
    if (!level) {
      overridden.push(
        `${pod.name}: ${ignored ? ignored.reason : `effective policy is ${effective.workload ?? effective.namespace ?? effective.mesh ?? "the PERMISSIVE default"}`}`,
      );
    } else if (effective.mode !== expectedMode) {
      overridden.push(
        `${pod.name}: effective mode ${effective.mode} from ${effective.workload ?? effective.namespace ?? effective.mesh}`,
      );
    }
  }
  if (overridden.length > 0) {
    findings.push({
      subject,
      verdict: "fail",
      message: `present, but another policy decides the mode of the pods it selects: ${overridden.join("; ")}`,
      hint: `See which policies apply: istioctl x describe pod ${meshed[0]!.name} -n ${exception.namespace}`,
    });
  } else {
    findings.push({
      subject,
      verdict: "pass",
      message: `applies ${expectedMode} to ${meshed.length === 1 ? "the meshed pod" : `all ${meshed.length} meshed pods`} it selects (${workloadNames(meshed)})${callers}`,
    });
  }
  if (unmeshed.length > 0) {
    findings.push({
      subject,
      verdict: "info",
      message: `no effect on ${unmeshed.map((pod) => pod.name).join(", ")}: ${unmeshed.length === 1 ? "it has" : "they have"} no sidecar, so PeerAuthentication does not apply there`,
    });
  }
  const outcome = overridden.length
    ? "overridden on some pods"
    : `effective ${expectedMode} on ${meshed.length} meshed ${meshed.length === 1 ? "pod" : "pods"}`;
  return { findings, evidence, summary: `${exception.name} applied, ${selectorText}; ${outcome}.` };
}

function portLevelProblems(spec: PeerAuthenticationSpec, pods: PodView[]): string[] {
  const keys = Object.keys(spec.portLevelMtls ?? {});
  if (keys.length === 0) return [];
  const containerPorts = new Set<number>();
  for (const pod of pods) {
    for (const container of pod.object.spec?.containers ?? [])
      for (const port of container.ports ?? []) containerPorts.add(port.containerPort);
  }
  return keys
    .filter((key) => !containerPorts.has(Number(key)))
    .map((key) => `portLevelMtls port ${key} is not a container port of the selected pods, so it changes nothing`);
}

function judgeOtherKind(model: ClusterModel, exception: PolicyException): ExceptionJudgement {
  const subject = subjectOf(exception.kind, exception.namespace, exception.name);
  const kind = collectedKindOf(exception.kind);
  const issues = kind ? model.issuesFor(resourceName(kind)) : [];
  if (issues.length > 0) {
    return {
      findings: [
        {
          subject,
          verdict: "unknown",
          message: `${exception.kind} objects could not be read (${issues[0]!.reason}): ${issues[0]!.message}`,
        },
      ],
      evidence: [],
      summary: `${exception.name} unknown (${exception.kind} not readable).`,
    };
  }
  const object = model.get(exception.kind, exception.namespace, exception.name);
  if (!object) {
    return {
      findings: [
        {
          subject,
          verdict: "fail",
          message: `not found: the plan relies on it (${exception.reason})`,
          hint: `kubectl -n ${exception.namespace} get ${exception.kind.toLowerCase()} ${exception.name}`,
        },
      ],
      evidence: [],
      summary: `${exception.name} not found.`,
    };
  }
  return {
    findings: [
      {
        subject,
        verdict: "info",
        message: `present; meshproof checks only that a ${exception.kind} exception exists, not its effect`,
      },
    ],
    evidence: [],
    summary: `${exception.name} present.`,
  };
}

function runExceptions(model: ClusterModel, plan: RolloutPlan): CheckOutcome {
  const exceptions = plan.spec.policyExceptions;
  if (exceptions.length === 0)
    return { summary: "The plan lists no policy exceptions.", findings: [], evidence: [], verdict: "skip" };
  const judgements = exceptions.map((exception) =>
    exception.kind === "PeerAuthentication"
      ? judgePeerAuthentication(model, exception)
      : judgeOtherKind(model, exception),
  );
  return {
    summary: judgements.map((judgement) => judgement.summary).join(" "),
    findings: judgements.flatMap((judgement) => judgement.findings),
    evidence: judgements.flatMap((judgement) => judgement.evidence),
  };
}

export const policyChecks: CheckDefinition[] = [
  {
    id: "MP-POL-01",
    category: "policy",
    title: "Policy exceptions are in place and have the intended effect",
    proves:
      "Each exception in the plan exists with the intended mode, selects pods in its own namespace, and either decides their effective mTLS mode or is reported as having no effect because those pods have no sidecar to enforce it.",
    reads: [
      "PeerAuthentications (mesh, namespace and workload levels)",
      "Pods (labels, sidecars, container ports)",
      "ConfigMap istio (rootNamespace)",
      "plan: policyExceptions",
    ],
    needs: ["peerauthentications.security.istio.io", "pods"],
    requiresPlan: true,
    run: ({ model, plan }) => runExceptions(model, plan!),
  },
];
