import type { ClusterModel, PodView } from "../../model/cluster.js";
import type { KubeObject } from "../../model/kube.js";
import { objectSubject } from "../../model/kube.js";
import { byAge } from "../../model/mtls.js";
import { formatSelector, isEmptySelector } from "../../model/selectors.js";
import type { RolloutPlan } from "../../plan/schema.js";
import type { Finding } from "../types.js";
import { serviceIndexOf } from "./ports.js";

interface PeerAuthSpec {
  selector?: { matchLabels?: Record<string, string> };
  mtls?: { mode?: string };
  portLevelMtls?: Record<string, { mode?: string }>;
}

function specOf(policy: KubeObject): PeerAuthSpec {
  return (policy.spec ?? {}) as PeerAuthSpec;
}

function modeText(policy: KubeObject): string {
  return specOf(policy).mtls?.mode ?? "UNSET";
}

/** True when the plan has a strict phase still to come. */
export function strictPlanned(plan: RolloutPlan | undefined): boolean {
  return (plan?.spec.phases.next ?? []).some((phase) => phase.type === "strict");
}

/**
 * Judges each PeerAuthentication for the ways istiod ignores or narrows it. A policy may be
 * shadowed by an older one of the same level, or carry a selector in the root namespace. Its
 * port-level settings may lack a selector or name ports no Service targets. Its selector may match
 * nothing, or only pods without a sidecar. A namespace-wide PERMISSIVE is not reached by a
 * mesh-wide STRICT.
 */
export function judgePolicies(model: ClusterModel, plan: RolloutPlan | undefined): Finding[] {
  const root = model.mesh.rootNamespace;
  const policies = [...model.list("PeerAuthentication")].sort(byAge);
  const findings: Finding[] = [];
  const firstWide = new Map<string, KubeObject>();
  const meshPolicy = policies.find(
    (policy) => policy.metadata.namespace === root && isEmptySelector(specOf(policy).selector),
  );
  const meshStrict = meshPolicy !== undefined && modeText(meshPolicy) === "STRICT";

  for (const policy of policies) {
    const subject = objectSubject(policy);
    const namespace = policy.metadata.namespace ?? "default";
    const spec = specOf(policy);
    const portKeys = Object.keys(spec.portLevelMtls ?? {});

    if (isEmptySelector(spec.selector)) {
      const level = namespace === root ? "mesh-wide" : "namespace-wide";
      const older = firstWide.get(namespace);
      if (older) {
        findings.push({
          subject,
          verdict: "warn",
          message: `Ignored: the older ${level} policy ${objectSubject(older)} wins, because istiod applies only the oldest policy of a level.`,
          hint: `Merge the two and delete one: kubectl -n ${namespace} delete peerauthentication ${policy.metadata.name}`,
        });
        continue;
      }
      firstWide.set(namespace, policy);
      if (portKeys.length > 0) {
        findings.push({
          subject,
          verdict: "warn",
          message: `portLevelMtls (${portKeys.join(", ")}) is ignored: istiod honours port-level settings only on a policy with a selector.`,
          hint: "Move the port-level settings to a PeerAuthentication with spec.selector that matches the workload.",
        });
      }
      findings.push(wideFinding(model, plan, policy, level, meshStrict));
      continue;
    }

    const pods = model.podsMatching(spec.selector ?? {}, namespace);
    const meshedPods = pods.filter((pod) => pod.sidecar.kind !== "none");
    const selector = formatSelector(spec.selector);

    if (namespace === root) {
      findings.push({
        subject,
        verdict: "warn",
        message: `A policy with a selector (${selector}) in the root namespace ${root} applies only to pods in ${root}${pods.length > 0 ? ` (${pods.length} match)` : ", and none match"}, never mesh-wide.`,
        hint: "Put workload policies in the workload's own namespace; a mesh-wide policy has no selector.",
      });
      continue;
    }
    if (pods.length === 0) {
      findings.push({
        subject,
        verdict: "warn",
        message: `Selector ${selector} matches no pod in namespace ${namespace}, so the policy applies to nothing.`,
        hint: `Compare with the pod labels: kubectl -n ${namespace} get pods --show-labels`,
      });
      continue;
    }
    if (meshedPods.length === 0) {
      const mode = modeText(policy);
      const names = [...new Set(pods.map((pod) => pod.workload))].join(", ");
      findings.push({
        subject,
        verdict: mode === "STRICT" ? "warn" : "info",
        message:
          mode === "STRICT"
            ? `Inert: it selects ${names}, which has no sidecar, and STRICT is enforced by the server's sidecar, so nothing is protected.`
            : `Inert today: it selects ${names}, which has no sidecar, so the ${mode} exception has no effect until it is meshed.`,
      });
      continue;
    }

    const shadowed = meshedPods.find((pod) => model.effectiveMtls(pod).workload !== subject);
    if (shadowed) {
      const winner = model.effectiveMtls(shadowed).workload;
      findings.push({
        subject,
        verdict: "warn",
        message: `Ignored for ${shadowed.workload}: the older workload policy ${winner} wins.`,
        hint: "Keep one PeerAuthentication per workload.",
      });
      continue;
    }

    const portProblems = portKeyProblems(model, meshedPods, portKeys);
    for (const problem of portProblems)
      findings.push({
        subject,
        verdict: "warn",
        message: problem,
        hint: "portLevelMtls keys are container ports (a Service's targetPort), not Service ports.",
      });
    if (portProblems.length === 0) {
      findings.push({
        subject,
        verdict: "pass",
        message: `In effect on ${meshedPods.length} meshed pod${meshedPods.length === 1 ? "" : "s"}: mode ${modeText(policy)}${portKeys.length ? `, ports ${portKeys.join(", ")}` : ""}.`,
      });
    }
  }

  if (policies.length === 0) {
    findings.push({
      subject: `Namespace ${root}`,
      verdict: "pass",
      message: "No PeerAuthentication exists, so every sidecar runs Istio's default, PERMISSIVE.",
    });
  }
  return findings;
}

function wideFinding(
  model: ClusterModel,
  plan: RolloutPlan | undefined,
  policy: KubeObject,
  level: string,
  meshStrict: boolean,
): Finding {
  const subject = objectSubject(policy);
  const namespace = policy.metadata.namespace ?? "default";
  const mode = modeText(policy);
  if (level === "mesh-wide") {
    return { subject, verdict: "pass", message: `Mesh-wide mode ${mode}.` };
  }
  const meshed = model.podsInNamespace(namespace).filter((pod) => pod.sidecar.kind !== "none").length;
  if (meshed === 0) {
    return {
      subject,
      verdict: "info",
      message: `Namespace-wide ${mode}, but no pod in ${namespace} has a sidecar, so it has no effect today.`,
    };
  }
  if ((mode === "PERMISSIVE" || mode === "DISABLE") && (meshStrict || strictPlanned(plan))) {
    const why = meshStrict
      ? "It overrides the mesh-wide STRICT today"
      : "A mesh-wide STRICT policy would not reach this namespace";
    return {
      subject,
      verdict: "warn",
      message: `${why}: istiod applies the namespace policy over the mesh policy, so the ${meshed} meshed pods in ${namespace} stay ${mode}.`,
      hint: `Flip it in the same step as the mesh policy: kubectl -n ${namespace} patch peerauthentication ${policy.metadata.name} --type merge -p '{"spec":{"mtls":{"mode":"STRICT"}}}' (or delete it).`,
    };
  }
  return { subject, verdict: "pass", message: `Namespace-wide mode ${mode} on ${meshed} meshed pods.` };
}

/** portLevelMtls keys that istiod cannot apply: not a number, or not a container port a Service targets. */
function portKeyProblems(model: ClusterModel, pods: PodView[], keys: string[]): string[] {
  if (keys.length === 0) return [];
  const index = serviceIndexOf(model);
  const targets = new Set<number>();
  const servicePorts = new Map<number, number>();
  for (const pod of pods) {
    for (const binding of index.bindingsOf(pod)) {
      if (binding.targetPort === undefined) continue;
      targets.add(binding.targetPort);
      servicePorts.set(binding.port, binding.targetPort);
    }
  }
  const problems: string[] = [];
  for (const key of keys) {
    const port = Number(key);
    if (!Number.isInteger(port)) {
      problems.push(`portLevelMtls key "${key}" is not a port number.`);
    } else if (!targets.has(port)) {
      const target = servicePorts.get(port);
      problems.push(
        target !== undefined
          ? `portLevelMtls key ${port} is a Service port; the container port it targets is ${target}, so the setting applies to nothing.`
          : `portLevelMtls key ${port} is not a container port that any Service targets on the selected pods, so istiod does not apply it.`,
      );
    }
  }
  return problems;
}
