import type { ParsedCertificate, ServedCertificateEvidence } from "../collect/types.js";
import type { ClusterModel, PodView, WorkloadView } from "../model/cluster.js";
import { subjectOf } from "../model/kube.js";
import type { RolloutPlan } from "../plan/schema.js";
import { objectEvidence, table } from "./evidence.js";
import type { CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

/** The CSI driver of the SPIFFE CSI driver project, which mounts the SPIRE agent's Workload API socket. */
const SPIFFE_CSI_DRIVER = "csi.spiffe.io";
/** The volume Istio's injection templates use for the workload identity socket. */
const SOCKET_VOLUME = "workload-socket";
/** Warn when less than this share of a certificate's lifetime is left (a rotation that stalled). */
const ROTATION_WARN_SHARE = 0.1;

const SNAPSHOT_CERT_SKIP =
  "served certificate not read: snapshot input; a live run reads Envoy's /certs through port-forward";

/** Pods of a workload that carry a sidecar and still run. */
function meshedPods(workload: WorkloadView): PodView[] {
  return workload.pods.filter(
    (pod) => pod.sidecar.kind !== "none" && pod.phase !== "Succeeded" && pod.phase !== "Failed",
  );
}

/** Builds the SPIFFE ID Istio gives a workload: spiffe://<trust domain>/ns/<namespace>/sa/<service account>. */
function istioSpiffeId(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Renders the plan's callerIdTemplate. Returns undefined when it uses a placeholder other than the three supported. */
function renderCallerId(plan: RolloutPlan, namespace: string, serviceAccount: string): string | undefined {
  const rendered = plan.spec.callerIdTemplate
    .replaceAll("{trustDomain}", plan.spec.trustDomain)
    .replaceAll("{namespace}", namespace)
    .replaceAll("{serviceAccount}", serviceAccount);
  return /\{[^}]*\}/.test(rendered) ? undefined : rendered;
}

function serviceAccountOf(workload: WorkloadView): string {
  return meshedPods(workload)[0]?.serviceAccount ?? workload.serviceAccount;
}

function meshTrustDomainNote(model: ClusterModel): string {
  if (model.mesh.error) return ` (${model.mesh.error}; Istio's default cluster.local applies)`;
  if (model.mesh.defaulted.includes("trustDomain"))
    return " (MeshConfig sets no trustDomain, so Istio uses cluster.local)";
  return "";
}

function trustDomainEvidence(model: ClusterModel): Evidence {
  const namespace = model.options.istioNamespace;
  const name = model.mesh.source?.split("/")[1] ?? "istio";
  const output = model.mesh.defaulted.includes("trustDomain")
    ? `(no trustDomain${model.mesh.source ? "" : `: ConfigMap ${namespace}/${name} not in the input`}; Istio uses cluster.local)`
    : `trustDomain: ${model.mesh.trustDomain}`;
  return objectEvidence(
    `kubectl -n ${namespace} get configmap ${name} -o jsonpath='{.data.mesh}' | grep trustDomain`,
    output,
  );
}

// ---------------------------------------------------------------------------------------------
// MP-ID-01: expected SPIFFE identity and shared ServiceAccounts

function runIdentity(model: ClusterModel, plan: RolloutPlan | undefined): CheckOutcome {
  const workloads = model.meshedWorkloads();
  const trustDomain = model.mesh.trustDomain;
  const findings: Finding[] = [];
  const rows: string[][] = [];
  const bySharedAccount = new Map<string, WorkloadView[]>();
  const mismatches: Array<{ actual: string; expected: string }> = [];
  const ids = new Set<string>();

  for (const workload of workloads) {
    const serviceAccount = serviceAccountOf(workload);
    const actual = istioSpiffeId(trustDomain, workload.namespace, serviceAccount);
    ids.add(actual);
    rows.push([workload.subject, serviceAccount, actual]);
    const key = `${workload.namespace}/${serviceAccount}`;
    bySharedAccount.set(key, [...(bySharedAccount.get(key) ?? []), workload]);

    const accounts = [...new Set(meshedPods(workload).map((pod) => pod.serviceAccount))];
    if (accounts.length > 1) {
      findings.push({
        subject: workload.subject,
        verdict: "warn",
        message: `pods run under different ServiceAccounts (${accounts.join(", ")}), so they present different SPIFFE IDs; a rollout is in progress or some pods are stale`,
        hint: `Finish the rollout: kubectl -n ${workload.namespace} get pods -o custom-columns=NAME:.metadata.name,SA:.spec.serviceAccountName`,
      });
    }

    if (!plan) {
      findings.push({
        subject: workload.subject,
        verdict: "info",
        message: `presents ${actual}; no plan, so the ID is not compared with the caller ID form the policy layer expects`,
      });
      continue;
    }
    const expected = renderCallerId(plan, workload.namespace, serviceAccount);
    if (expected === undefined) {
      findings.push({
        subject: workload.subject,
        verdict: "unknown",
        message: `presents ${actual}, but the plan's callerIdTemplate "${plan.spec.callerIdTemplate}" uses a placeholder other than {trustDomain}, {namespace} and {serviceAccount}, so the expected ID cannot be rendered`,
        hint: "Write callerIdTemplate with only {trustDomain}, {namespace} and {serviceAccount}.",
      });
      continue;
    }
    if (expected !== actual) {
      mismatches.push({ actual, expected });
      const cause =
        trustDomain !== plan.spec.trustDomain
          ? `the mesh trust domain is ${trustDomain}${meshTrustDomainNote(model)}, the plan's is ${plan.spec.trustDomain}`
          : "the plan's callerIdTemplate renders a different form";
      findings.push({
        subject: workload.subject,
        verdict: "fail",
        message: `Istio issues ${actual}, but the policy layer expects ${expected}: ${cause}`,
        hint:
          trustDomain !== plan.spec.trustDomain
            ? `Set trustDomain: ${plan.spec.trustDomain} in MeshConfig (kubectl -n ${model.options.istioNamespace} edit configmap istio) to match SPIRE, or correct the plan.`
            : "Correct the plan's callerIdTemplate or the policy layer's expected caller ID form.",
      });
      continue;
    }
    findings.push({
      subject: workload.subject,
      verdict: "pass",
      message: `presents ${actual}, the caller ID the policy layer expects`,
    });
  }

  const shared = [...bySharedAccount].filter(([, members]) => members.length > 1);
  for (const [key, members] of shared) {
    const [namespace, serviceAccount] = key.split("/") as [string, string];
    const id = istioSpiffeId(trustDomain, namespace, serviceAccount);
    const names = members.map((member) => member.name).sort();
    findings.push({
      subject: subjectOf("ServiceAccount", namespace, serviceAccount),
      verdict: "warn",
      message: `shared by ${members.length} meshed workloads (${names.join(", ")}): they all present ${id}, so AuthorizationPolicy principals, the policy layer's caller.spiffe_id and SPIRE registration entries cannot tell them apart; per-workload authorization is impossible until each workload has its own ServiceAccount`,
      hint: `Give each workload its own ServiceAccount (kubectl -n ${namespace} create serviceaccount <workload>, then set spec.template.spec.serviceAccountName). The SPIFFE ID changes with it, so update the ClusterSPIFFEID output and the policy data in the same change.`,
    });
  }

  return {
    summary: identitySummary(workloads.length, [...ids], shared, mismatches),
    findings,
    evidence: [
      trustDomainEvidence(model),
      objectEvidence(
        "kubectl get pods -A -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,SERVICEACCOUNT:.spec.serviceAccountName",
        rows.length ? table(["WORKLOAD", "SERVICEACCOUNT", "SPIFFE ID"], rows) : "(no meshed workloads)",
      ),
    ],
    verdict: workloads.length === 0 ? "info" : undefined,
  };
}

function identitySummary(
  count: number,
  ids: string[],
  shared: Array<[string, WorkloadView[]]>,
  mismatches: Array<{ actual: string; expected: string }>,
): string {
  if (count === 0) return "No meshed workloads, so no SPIFFE identity to check.";
  if (mismatches.length > 0) {
    const first = mismatches[0]!;
    return `${mismatches.length} of ${count} meshed workloads present IDs the policy layer does not expect: Istio issues ${first.actual}, the plan expects ${first.expected}.`;
  }
  if (ids.length === 1) return count > 1 ? `${ids[0]} — shared by ${count} workloads.` : `${ids[0]}.`;
  const sharedText = shared.map(([key, members]) => `${key} shared by ${members.length}`).join(", ");
  return `${count} meshed workloads present ${ids.length} SPIFFE IDs${sharedText ? `; ServiceAccounts ${sharedText} workloads` : ", one per workload"}.`;
}

// ---------------------------------------------------------------------------------------------
// MP-ID-02: the SPIRE socket arrives through the CSI driver

function socketVolumeOf(pod: PodView): string {
  const volume = pod.object.spec?.volumes?.find((candidate) => candidate.name === SOCKET_VOLUME);
  if (!volume) return "missing";
  if (volume.csi) return `csi ${volume.csi.driver ?? "(no driver)"}`;
  if (volume.emptyDir !== undefined) return "emptyDir";
  const other = Object.keys(volume).find((key) => key !== "name");
  return other ?? "unknown";
}

function runSocket(model: ClusterModel): CheckOutcome {
  const findings: Finding[] = [];
  const rows: string[][] = [];
  const namespaces = new Set<string>();
  let good = 0;
  const workloads = model.meshedWorkloads();

  for (const workload of workloads) {
    namespaces.add(workload.namespace);
    const pods = meshedPods(workload);
    const wrong: string[] = [];
    for (const pod of pods) {
      const volume = socketVolumeOf(pod);
      rows.push([`${pod.namespace}/${pod.name}`, volume, pod.annotations["inject.istio.io/templates"] ?? "<none>"]);
      if (volume !== `csi ${SPIFFE_CSI_DRIVER}`) wrong.push(`${pod.name} (${volume})`);
    }
    if (wrong.length === 0) {
      good++;
      findings.push({
        subject: workload.subject,
        verdict: "pass",
        message: `${SOCKET_VOLUME} uses CSI driver ${SPIFFE_CSI_DRIVER} on ${pods.length === 1 ? "its pod" : `all ${pods.length} pods`}`,
      });
      continue;
    }
    findings.push({
      subject: workload.subject,
      verdict: "fail",
      message: `${SOCKET_VOLUME} is not the ${SPIFFE_CSI_DRIVER} CSI volume on ${wrong.join(", ")}: without the SPIRE agent's socket, pilot-agent starts its own SDS server and the proxy gets an istiod-issued certificate for the pod's lifetime`,
      hint: `Add the annotation inject.istio.io/templates: "sidecar,spire" to the pod template, then recreate the pods: kubectl -n ${workload.namespace} rollout restart ${workload.kind.toLowerCase()}/${workload.name}`,
    });
  }

  const summary =
    workloads.length === 0
      ? "No meshed workloads, so no SPIRE socket mount to check."
      : good === workloads.length
        ? `${workloads.length === 1 ? "The meshed workload mounts" : `All ${workloads.length} meshed workloads mount`} ${SOCKET_VOLUME} through ${SPIFFE_CSI_DRIVER}.`
        : `${workloads.length - good} of ${workloads.length} meshed workloads do not mount ${SOCKET_VOLUME} through ${SPIFFE_CSI_DRIVER}, so they get istiod certificates.`;
  const command = [...namespaces]
    .sort()
    .map(
      (namespace) =>
        `kubectl -n ${namespace} get pods -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.spec.volumes[?(@.name=="${SOCKET_VOLUME}")]}{"\\n"}{end}'`,
    )
    .join("; ");
  return {
    summary,
    findings,
    evidence: rows.length
      ? [objectEvidence(command, table(["POD", SOCKET_VOLUME.toUpperCase(), "INJECT TEMPLATES"], rows))]
      : [],
    verdict: workloads.length === 0 ? "info" : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// MP-ID-03: the certificate each sidecar serves

/** Parses the attribute values of a distinguished name, printed one per line (as Node does) or comma-separated. */
function dnAttributes(dn: string): Map<string, string[]> {
  const attributes = new Map<string, string[]>();
  for (const part of dn.split(/\n|,\s*(?=[A-Za-z.0-9]+=)|\/(?=[A-Za-z]+=)/)) {
    const equals = part.indexOf("=");
    if (equals <= 0) continue;
    const key = part.slice(0, equals).trim().toUpperCase();
    attributes.set(key, [...(attributes.get(key) ?? []), part.slice(equals + 1).trim()]);
  }
  return attributes;
}

type Issuer = "spire" | "istiod" | "conflicting" | "unrecognised";

/**
 * Classifies a leaf as issued by SPIRE or by istiod. SPIRE leaves carry subject O=SPIRE, and SPIRE's
 * default CA is O=SPIFFE. istiod leaves have an empty subject under a root named O=<trust domain>.
 * The ROOTCA validation context (SPIFFE validator or trusted_ca) is a second signal when collected.
 */
function issuerOf(leaf: ParsedCertificate, item: ServedCertificateEvidence, trustDomains: string[]): Issuer {
  const subject = dnAttributes(leaf.subject);
  const issuer = dnAttributes(leaf.issuer);
  const spire =
    (subject.get("O") ?? []).includes("SPIRE") ||
    (issuer.get("O") ?? []).includes("SPIFFE") ||
    item.validationContext === "spiffe-validator";
  const istiod =
    (subject.size === 0 && (issuer.get("O") ?? []).some((organization) => trustDomains.includes(organization))) ||
    item.validationContext === "trusted-ca";
  if (spire && istiod) return "conflicting";
  if (spire) return "spire";
  if (istiod) return "istiod";
  return "unrecognised";
}

function describeLeaf(leaf: ParsedCertificate): string {
  return [
    `subject=${leaf.subject.replaceAll("\n", ", ") || "(empty)"}`,
    `issuer=${leaf.issuer.replaceAll("\n", ", ") || "(empty)"}`,
    `URI SAN=${leaf.uriSans.join(",") || "(none)"}`,
    `notBefore=${leaf.validFrom}`,
    `notAfter=${leaf.validTo}`,
    `serial=${leaf.serialNumber}`,
  ].join("\n");
}

interface CertJudgement {
  verdict: Finding["verdict"];
  message: string;
}

function judgeCertificate(item: ServedCertificateEvidence, expected: string, trustDomains: string[]): CertJudgement {
  if (item.error)
    return {
      verdict: "unknown",
      message: `${item.pod}: served certificate could not be read (${item.error.reason}): ${item.error.message}`,
    };
  const leaf = item.chain[0];
  if (!leaf)
    return { verdict: "unknown", message: `${item.pod}: Envoy returned no certificate chain in its default secret` };

  const problems: CertJudgement[] = [];
  if (!leaf.uriSans.includes(expected)) {
    problems.push({
      verdict: "fail",
      message: `URI SAN ${leaf.uriSans.join(",") || "(none)"} is not the expected ${expected}`,
    });
  }
  const issuer = issuerOf(leaf, item, trustDomains);
  if (issuer === "istiod") {
    problems.push({
      verdict: "fail",
      message: `issued by istiod (subject "${leaf.subject || "empty"}", issuer "${leaf.issuer}"), not SPIRE: the proxy fell back to istiod's CA`,
    });
  } else if (issuer === "conflicting") {
    problems.push({
      verdict: "warn",
      message: `issuer signals conflict (subject "${leaf.subject}", issuer "${leaf.issuer}", validation context ${item.validationContext})`,
    });
  } else if (issuer === "unrecognised") {
    problems.push({
      verdict: "warn",
      message: `issuer "${leaf.issuer}" is neither SPIRE's default CA nor an istiod root; confirm it is SPIRE's UpstreamAuthority`,
    });
  }

  const at = new Date(item.at).getTime();
  const from = new Date(leaf.validFrom).getTime();
  const to = new Date(leaf.validTo).getTime();
  if ([at, from, to].some(Number.isNaN)) {
    problems.push({
      verdict: "unknown",
      message: `validity dates could not be parsed (notBefore ${leaf.validFrom}, notAfter ${leaf.validTo})`,
    });
  } else if (to <= at) {
    problems.push({ verdict: "fail", message: `expired at ${leaf.validTo}: the SVID did not rotate` });
  } else if (to - at < (to - from) * ROTATION_WARN_SHARE) {
    const minutes = Math.round((to - at) / 60_000);
    problems.push({
      verdict: "warn",
      message: `only ${minutes} min of its lifetime left (under 10%): rotation may be stalled`,
    });
  }

  if (problems.length === 0) {
    return { verdict: "pass", message: `${item.pod}: SPIRE-issued SVID for ${expected}, valid until ${leaf.validTo}` };
  }
  const order = ["warn", "unknown", "fail"];
  const worst = problems.reduce((a, b) => (order.indexOf(b.verdict) > order.indexOf(a.verdict) ? b : a));
  return { verdict: worst.verdict, message: `${item.pod}: ${problems.map((problem) => problem.message).join("; ")}` };
}

function runServedCertificates(model: ClusterModel, plan: RolloutPlan | undefined): CheckOutcome {
  const byWorkload = new Map<string, ServedCertificateEvidence[]>();
  for (const item of model.evidence) {
    if (item.type !== "served-certificate") continue;
    byWorkload.set(item.workload, [...(byWorkload.get(item.workload) ?? []), item]);
  }
  const trustDomains = [
    ...new Set([
      model.mesh.trustDomain,
      ...model.mesh.trustDomainAliases,
      "cluster.local",
      ...(plan ? [plan.spec.trustDomain] : []),
    ]),
  ];
  const envoyIssues = model.issuesFor("envoy-admin");

  const findings: Finding[] = [];
  const evidence: Evidence[] = [];
  const workloads = model.meshedWorkloads();
  for (const workload of workloads) {
    const items = byWorkload.get(workload.subject) ?? [];
    if (items.length === 0) {
      if (envoyIssues.length > 0) {
        findings.push({
          subject: workload.subject,
          verdict: "unknown",
          message: `served certificate could not be read: ${envoyIssues.map((issue) => `${issue.reason}: ${issue.message}`).join("; ")}`,
          hint: envoyIssues.find((issue) => issue.permission)?.permission
            ? `Grant "${envoyIssues.find((issue) => issue.permission)!.permission}" to the identity meshproof runs as.`
            : undefined,
        });
      } else {
        findings.push({
          subject: workload.subject,
          verdict: "skip",
          message: model.live ? "served certificate not collected for this workload in this run" : SNAPSHOT_CERT_SKIP,
        });
      }
      continue;
    }

    const judgements = items.map((item) => {
      const pod = workload.pods.find((candidate) => candidate.name === item.pod);
      const serviceAccount = pod?.serviceAccount ?? serviceAccountOf(workload);
      const expected =
        (plan && renderCallerId(plan, workload.namespace, serviceAccount)) ??
        istioSpiffeId(model.mesh.trustDomain, workload.namespace, serviceAccount);
      evidence.push({
        command: item.command,
        output: item.error
          ? `error: ${item.error.message}`
          : item.chain[0]
            ? describeLeaf(item.chain[0])
            : "(empty chain)",
        source: "live",
      });
      return judgeCertificate(item, expected, trustDomains);
    });
    const order = ["pass", "warn", "unknown", "fail"];
    const worst = judgements.reduce((a, b) => (order.indexOf(b.verdict) > order.indexOf(a.verdict) ? b : a));
    findings.push({
      subject: workload.subject,
      verdict: worst.verdict,
      message: judgements.map((judgement) => judgement.message).join(" | "),
      hint:
        worst.verdict === "pass"
          ? undefined
          : `Inspect: istioctl proxy-config secret <pod> -n ${workload.namespace} -o json. A fallback to istiod needs the pod recreated once the SPIRE socket is mounted (${SOCKET_VOLUME} through ${SPIFFE_CSI_DRIVER}) and the pod has a registration entry.`,
    });
  }

  const counts = (verdict: Finding["verdict"]) => findings.filter((finding) => finding.verdict === verdict).length;
  let summary: string;
  if (workloads.length === 0) summary = "No meshed workloads, so no served certificate to check.";
  else if (counts("skip") === workloads.length) {
    summary = model.live
      ? `Served certificates not collected for the ${workloads.length} meshed workloads in this run.`
      : `Served certificates not read (snapshot input); a live run checks the ${workloads.length} meshed workloads' SVIDs through Envoy's /certs.`;
  } else if (counts("pass") === workloads.length) {
    summary = `${workloads.length}/${workloads.length} sidecars serve SPIRE-issued SVIDs with the expected SPIFFE ID.`;
  } else {
    summary = `${counts("pass")}/${workloads.length} sidecars serve a valid SPIRE-issued SVID; ${counts("fail")} fail, ${counts("warn")} warn, ${counts("unknown")} unknown, ${counts("skip")} not read.`;
  }
  return { summary, findings, evidence, verdict: workloads.length === 0 ? "info" : undefined };
}

export const identityChecks: CheckDefinition[] = [
  {
    id: "MP-ID-01",
    category: "identity",
    title: "Each meshed workload has the expected SPIFFE identity",
    proves:
      "The SPIFFE ID Istio gives each meshed workload (spiffe://<mesh trust domain>/ns/<namespace>/sa/<ServiceAccount>) equals the caller ID the policy layer expects, and names which ServiceAccounts several workloads share.",
    reads: [
      "Pods (serviceAccountName)",
      "ConfigMap istio (MeshConfig trustDomain)",
      "plan: trustDomain, callerIdTemplate",
    ],
    needs: ["pods", "configmaps"],
    run: ({ model, plan }) => runIdentity(model, plan),
  },
  {
    id: "MP-ID-02",
    category: "identity",
    title: "Injected pods mount the SPIRE socket through the CSI driver",
    proves:
      "Every pod with a sidecar mounts the workload-socket volume from the csi.spiffe.io driver, so pilot-agent finds the SPIRE agent's socket and does not fall back to istiod certificates.",
    reads: ["Pods (spec.volumes workload-socket, annotation inject.istio.io/templates)"],
    needs: ["pods"],
    run: ({ model }) => runSocket(model),
  },
  {
    id: "MP-ID-03",
    category: "identity",
    title: "Every sidecar serves an SVID issued by SPIRE",
    proves:
      "The certificate each sidecar serves carries the expected SPIFFE ID as URI SAN, was issued by SPIRE (not istiod) and has not expired or stalled in rotation.",
    reads: [
      "Envoy admin /certs and /config_dump dynamic_active_secrets through port-forward (live only)",
      "ConfigMap istio (MeshConfig trustDomain)",
      "plan: trustDomain, callerIdTemplate",
    ],
    // The collector names each certificate's workload through the pod's ReplicaSet, so without
    // ReplicaSets the certificates cannot be matched to the model's Deployments.
    needs: ["pods", "replicasets.apps"],
    run: ({ model, plan }) => runServedCertificates(model, plan),
  },
];
