import type { ClusterModel, PodView, WorkloadView } from "../../model/cluster.js";
import type { KubeObject } from "../../model/kube.js";
import { objectSubject, subjectOf } from "../../model/kube.js";
import { isEmptySelector } from "../../model/selectors.js";
import type { RolloutPlan } from "../../plan/schema.js";
import type { Finding } from "../types.js";
import type { PlaintextCaller } from "./callers.js";

/** Istio's principal form: `<trust domain>/ns/<namespace>/sa/<service account>`, without `spiffe://`. */
const PRINCIPAL = /^([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

interface AuthorizationSpec {
  selector?: { matchLabels?: Record<string, string> };
  action?: string;
  rules?: Array<{ from?: Array<{ source?: { principals?: string[]; notPrincipals?: string[] } }> }>;
}

/** Renders the plan's caller ID template; undefined placeholders are left in place so the caller can report them. */
export function renderCallerId(
  template: string,
  values: { trustDomain: string; namespace: string; serviceAccount: string },
): string {
  return template
    .replaceAll("{trustDomain}", values.trustDomain)
    .replaceAll("{namespace}", values.namespace)
    .replaceAll("{serviceAccount}", values.serviceAccount);
}

/** Meshed workloads grouped by the ServiceAccount, and so the SPIFFE ID, they run as. */
export function workloadsByServiceAccount(model: ClusterModel): Map<string, WorkloadView[]> {
  const groups = new Map<string, WorkloadView[]>();
  for (const workload of model.meshedWorkloads()) {
    const key = subjectOf("ServiceAccount", workload.namespace, workload.serviceAccount);
    const list = groups.get(key) ?? [];
    list.push(workload);
    groups.set(key, list);
  }
  return groups;
}

/**
 * Shared ServiceAccounts and the caller ID the policy contract expects for each, one finding per
 * ServiceAccount: warn when several workloads share it, fail when the contract's template cannot
 * render the ID the sidecar presents.
 */
export function judgeIdentities(model: ClusterModel, plan: RolloutPlan | undefined): Finding[] {
  const findings: Finding[] = [];
  const trustDomain = model.mesh.trustDomain;
  const template = plan?.spec.callerIdTemplate;

  for (const [subject, workloads] of workloadsByServiceAccount(model)) {
    const first = workloads[0];
    if (!first) continue;
    const presented = `spiffe://${trustDomain}/ns/${first.namespace}/sa/${first.serviceAccount}`;
    const names = workloads.map((workload) => workload.name).sort();
    const expected = template
      ? renderCallerId(template, {
          trustDomain: plan.spec.trustDomain,
          namespace: first.namespace,
          serviceAccount: first.serviceAccount,
        })
      : undefined;

    if (expected !== undefined && /\{[^}]*\}/.test(expected)) {
      findings.push({
        subject,
        verdict: "warn",
        message: `The plan's callerIdTemplate "${template}" has a placeholder meshproof does not know; rendered "${expected}". The sidecars of ${names.join(", ")} present ${presented}.`,
        hint: "Use only {trustDomain}, {namespace} and {serviceAccount}, the fields Istio puts in a SPIFFE ID.",
      });
      continue;
    }
    if (expected !== undefined && expected !== presented) {
      findings.push({
        subject,
        verdict: "fail",
        message: `The policy contract expects caller ID ${expected}, but the sidecars of ${names.join(", ")} present ${presented}, so policies keyed on the contract's ID never match.`,
        hint: "Align the plan's trustDomain and callerIdTemplate with meshConfig.trustDomain and Istio's ID form spiffe://<td>/ns/<ns>/sa/<sa>.",
      });
      continue;
    }

    const contract =
      expected !== undefined
        ? "as the policy contract expects"
        : "(no plan, so the policy contract's template was not compared)";
    if (workloads.length > 1) {
      findings.push({
        subject,
        verdict: "warn",
        message: `${workloads.length} meshed workloads share this ServiceAccount and so one identity, ${presented} ${contract}: ${names.join(", ")}. AuthorizationPolicy principals, the policy layer's caller ID and SPIRE entries cannot tell them apart.`,
        hint: `Give each security-sensitive workload its own ServiceAccount (kubectl -n ${first.namespace} create serviceaccount <name>, then set spec.template.spec.serviceAccountName); its SPIFFE ID and the policy data change with it.`,
      });
    } else {
      findings.push({
        subject: first.subject,
        verdict: "pass",
        message: `Caller ID ${presented} ${contract}, used by this workload alone.`,
      });
    }
  }
  return findings;
}

function namespaceExists(model: ClusterModel, namespace: string): boolean {
  return model.get("Namespace", undefined, namespace) !== undefined || model.podsInNamespace(namespace).length > 0;
}

function selectedPods(model: ClusterModel, policy: KubeObject, root: string): PodView[] {
  const spec = (policy.spec ?? {}) as AuthorizationSpec;
  const namespace = policy.metadata.namespace ?? "default";
  if (isEmptySelector(spec.selector)) return namespace === root ? model.pods : model.podsInNamespace(namespace);
  return model.podsMatching(spec.selector ?? {}, namespace);
}

/**
 * Judges AuthorizationPolicy principals: the `spiffe://` prefix and foreign trust domains never
 * match (istiod rewrites only cluster.local and the aliases), and a ServiceAccount that does not
 * exist names no caller. An ALLOW policy on principals also rejects plaintext callers today,
 * because a plaintext caller has no principal.
 */
export function judgePrincipals(model: ClusterModel, callers: readonly PlaintextCaller[]): Finding[] {
  const findings: Finding[] = [];
  const trustDomain = model.mesh.trustDomain;
  const accepted = new Set([trustDomain, ...model.mesh.trustDomainAliases, "cluster.local"]);
  const root = model.mesh.rootNamespace;
  const serviceAccountsKnown =
    model.list("ServiceAccount").length > 0 && model.issuesFor("serviceaccounts").length === 0;

  for (const policy of model.list("AuthorizationPolicy")) {
    const subject = objectSubject(policy);
    const spec = (policy.spec ?? {}) as AuthorizationSpec;
    const principals = (spec.rules ?? []).flatMap((rule) =>
      (rule.from ?? []).flatMap((from) => [...(from.source?.principals ?? []), ...(from.source?.notPrincipals ?? [])]),
    );
    const before = findings.length;

    for (const principal of principals) {
      if (principal === "*") continue;
      if (principal.startsWith("spiffe://")) {
        findings.push({
          subject,
          verdict: "fail",
          message: `Principal "${principal}" starts with spiffe://, which Istio's principal form does not have, so it never matches.`,
          hint: `Write it as ${principal.slice("spiffe://".length)}.`,
        });
        continue;
      }
      const parsed = PRINCIPAL.exec(principal);
      const domain = parsed?.[1] ?? principal.split("/")[0] ?? "";
      if (!domain.includes("*") && !accepted.has(domain)) {
        findings.push({
          subject,
          verdict: "fail",
          message: `Principal "${principal}" is in trust domain ${domain}, which is neither ${trustDomain}, an alias, nor cluster.local; istiod keeps it verbatim and it never matches.`,
          hint: `Use ${trustDomain} (or cluster.local, which istiod rewrites to the mesh trust domain).`,
        });
        continue;
      }
      if (!parsed) continue;
      const [, , namespace, serviceAccount] = parsed;
      if (!namespace || !serviceAccount || namespace.includes("*") || serviceAccount.includes("*")) continue;
      const exists =
        model.get("ServiceAccount", namespace, serviceAccount) !== undefined ||
        (serviceAccount === "default" && namespaceExists(model, namespace));
      if (exists) continue;
      findings.push(
        serviceAccountsKnown
          ? {
              subject,
              verdict: "warn",
              message: `Principal "${principal}" names ServiceAccount ${namespace}/${serviceAccount}, which does not exist, so no caller matches it.`,
              hint: `kubectl -n ${namespace} get serviceaccount ${serviceAccount}`,
            }
          : {
              subject,
              verdict: "unknown",
              message: `Principal "${principal}" names ServiceAccount ${namespace}/${serviceAccount}, and the input has no ServiceAccount objects to confirm it exists.`,
              hint: "Capture ServiceAccounts too (kubectl get serviceaccounts -A -o yaml).",
            },
      );
    }

    const allowsByPrincipal = (spec.action ?? "ALLOW") === "ALLOW" && principals.length > 0;
    if (allowsByPrincipal) {
      const workloads = new Set(selectedPods(model, policy, root).map((pod) => pod.workload));
      const plaintext = callers.filter(
        (caller) =>
          workloads.has(caller.target) && caller.source !== "uncaptured-port" && caller.source !== "host-network",
      );
      if (plaintext.length > 0) {
        const names = [
          ...new Set(
            plaintext.map(
              (caller) => `${caller.caller.split(" (")[0]} → ${caller.target}${caller.port ? `:${caller.port}` : ""}`,
            ),
          ),
        ];
        findings.push({
          subject,
          verdict: "warn",
          message: `ALLOW by principal, while plaintext callers still reach the workloads it selects: ${names.join("; ")}. A plaintext caller has no principal, so this policy rejects it even under PERMISSIVE.`,
          hint: "Mesh those callers, or add a rule for them that does not depend on principals, before relying on this policy.",
        });
      }
    }

    if (findings.length === before) {
      findings.push({
        subject,
        verdict: "pass",
        message: principals.length
          ? `Principals ${principals.join(", ")} are in trust domain ${trustDomain} form and name existing ServiceAccounts.`
          : "No principals in its rules.",
      });
    }
  }
  return findings;
}
