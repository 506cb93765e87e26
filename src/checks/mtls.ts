import type { ClusterModel } from "../model/cluster.js";
import { formatSelector } from "../model/selectors.js";
import type { RolloutPlan } from "../plan/schema.js";
import { parsePrometheusDuration } from "../telemetry/queries.js";
import { plural } from "../text.js";
import { objectEvidence, table } from "./evidence.js";
import { judgeIdentities, judgePrincipals } from "./mtls/authorization.js";
import { type CallerReport, findPlaintextCallers, type PlaintextCaller } from "./mtls/callers.js";
import { judgeClientSide } from "./mtls/destination-rules.js";
import { mtlsAnalysisOf, namespaceOverrides, type WorkloadMtls } from "./mtls/dry-run.js";
import { judgePolicies } from "./mtls/policies.js";
import { goDurationMs } from "./mtls/telemetry.js";
import type { CheckContext, CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

const PEER_AUTHENTICATIONS = "peerauthentications.security.istio.io";

const callerReports = new WeakMap<ClusterModel, Map<RolloutPlan | undefined, CallerReport>>();

/** Returns the plaintext callers of a run, found once and shared by MP-MTLS-03, MP-AUTHZ-01 and the gates. */
export function callerReportOf(model: ClusterModel, plan: RolloutPlan | undefined): CallerReport {
  let byPlan = callerReports.get(model);
  if (!byPlan) {
    byPlan = new Map();
    callerReports.set(model, byPlan);
  }
  let report = byPlan.get(plan);
  if (!report) {
    report = findPlaintextCallers(model, plan);
    byPlan.set(plan, report);
  }
  return report;
}

function peerAuthenticationTable(model: ClusterModel): Evidence {
  const rows = model.list("PeerAuthentication").map((policy) => [
    policy.metadata.namespace ?? "",
    policy.metadata.name,
    String(policy.spec?.mtls?.mode ?? "UNSET"),
    formatSelector(policy.spec?.selector),
    Object.entries((policy.spec?.portLevelMtls ?? {}) as Record<string, { mode?: string }>)
      .map(([port, setting]) => `${port}=${setting.mode ?? "UNSET"}`)
      .join(",") || "-",
    policy.metadata.creationTimestamp ?? "",
  ]);
  return objectEvidence(
    "kubectl get peerauthentication -A -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,MODE:.spec.mtls.mode,SELECTOR:.spec.selector.matchLabels,PORTS:.spec.portLevelMtls,CREATED:.metadata.creationTimestamp",
    rows.length ? table(["NAMESPACE", "NAME", "MODE", "SELECTOR", "PORTS", "CREATED"], rows) : "No resources found",
  );
}

// ---------------------------------------------------------------------------------------------
// MP-MTLS-01: effective mode per workload and port, today and after the STRICT flip

function portSummary(entry: WorkloadMtls): string {
  if (entry.ports.length === 0)
    return `no declared or Service-targeted port; workload mode ${entry.today.mode} → ${entry.after.mode}`;
  return entry.ports
    .map(
      (port) =>
        `${port.port} ${port.today}${port.after !== port.today ? ` → ${port.after}` : " (unchanged)"}${port.captured ? "" : " (not captured)"}`,
    )
    .join(", ");
}

function policyChain(entry: WorkloadMtls): string {
  const chain = [entry.today.workload, entry.today.namespace, entry.today.mesh].filter(
    (subject) => subject !== undefined,
  );
  return chain.length ? chain.join(" over ") : "no PeerAuthentication: Istio's default";
}

function runEffectiveModes({ model, plan }: CheckContext): CheckOutcome {
  const analysis = mtlsAnalysisOf(model);
  const meshed = analysis.meshed();
  const intended = plan?.spec.phases.current.mtls;
  const findings: Finding[] = [];

  for (const entry of meshed) {
    const todayModes = new Set([entry.today.mode, ...entry.ports.map((port) => port.today)]);
    const exceptions = entry.ports.filter((port) => port.today !== entry.today.mode);
    let verdict: Finding["verdict"] = intended ? "pass" : "info";
    let note = "";
    if (intended && entry.today.mode !== intended) {
      verdict = "warn";
      note = ` The plan's current phase intends ${intended}.`;
    } else if (exceptions.length > 0) {
      verdict = "info";
      note = ` Port-level exceptions: ${exceptions.map((port) => `${port.port} ${port.today}`).join(", ")} (${entry.today.workload}).`;
    }
    if (entry.divergentPods.length > 0) {
      verdict = "warn";
      note += ` Pods with another effective mode: ${entry.divergentPods.join(", ")}; their labels differ, so a policy selects only some of them.`;
    }
    findings.push({
      subject: entry.workload.subject,
      verdict,
      message: `Today ${[...todayModes].join("/")} (${policyChain(entry)}). Per port, today → after the STRICT flip: ${portSummary(entry)}.${note}`,
      hint:
        verdict === "warn"
          ? `Inspect the applied policies: istioctl x describe pod ${entry.pod.name} -n ${entry.pod.namespace}`
          : undefined,
    });
  }

  if (meshed.length === 0) {
    findings.push({
      subject: `Namespace ${model.mesh.rootNamespace}`,
      verdict: "info",
      message: "No workload carries a sidecar, so no PeerAuthentication is enforced anywhere.",
    });
  }

  const modes = new Set(meshed.map((entry) => entry.today.mode));
  let mtlsMode: string | undefined;
  if (modes.size === 1) mtlsMode = [...modes][0];
  else if (modes.size > 1) mtlsMode = "mixed";
  const strictPorts = meshed.flatMap((entry) => entry.ports.filter((port) => port.after === "STRICT")).length;
  const openPorts = meshed.flatMap((entry) => entry.ports.filter((port) => port.after !== "STRICT")).length;
  const overrides = namespaceOverrides(model).map(
    (policy) => `PeerAuthentication ${policy.metadata.namespace}/${policy.metadata.name}`,
  );

  const rows = meshed.flatMap((entry) =>
    (entry.ports.length
      ? entry.ports
      : [{ port: 0, today: entry.today.mode, after: entry.after.mode, captured: true }]
    ).map((port) => [
      entry.workload.subject,
      port.port ? String(port.port) : "*",
      port.today,
      port.after,
      entry.today.workload ?? entry.today.namespace ?? entry.today.mesh ?? "(default)",
    ]),
  );
  const example = meshed[0]?.pod;
  const evidence = [
    peerAuthenticationTable(model),
    objectEvidence(
      example
        ? `istioctl x describe pod ${example.name} -n ${example.namespace}   # repeated per workload; AFTER-FLIP adds PeerAuthentication ${model.mesh.rootNamespace}/default STRICT`
        : "istioctl x describe pod <pod> -n <namespace>",
      rows.length ? table(["WORKLOAD", "PORT", "TODAY", "AFTER-FLIP", "POLICY"], rows) : "No meshed workloads",
    ),
  ];

  const flipNote = overrides.length ? `, counting ${overrides.join(", ")} flipped with it` : "";
  return {
    summary: meshed.length
      ? `${plural(meshed.length, "meshed workload")} ${mtlsMode === "mixed" ? "in mixed modes" : mtlsMode}${intended ? ` (plan: ${intended})` : ""}; after the STRICT flip${flipNote}: ${plural(strictPorts, "port")} STRICT, ${openPorts} kept open by exceptions.`
      : "No meshed workloads.",
    findings,
    evidence,
    facts: {
      mtlsMode,
      modes: meshed.map((entry) => ({ workload: entry.workload.subject, mode: entry.today.mode, ports: entry.ports })),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// MP-MTLS-02: inert or misplaced PeerAuthentications

function runPolicies({ model, plan }: CheckContext): CheckOutcome {
  const findings = judgePolicies(model, plan);
  const problems = findings.filter((finding) => finding.verdict === "warn" || finding.verdict === "fail");
  const inert = findings.filter((finding) => finding.verdict === "info");
  return {
    summary:
      problems.length || inert.length
        ? `${plural(problems.length, "policy problem")}, ${plural(inert.length, "inert policy")}: ${[...problems, ...inert].map((finding) => finding.subject).join(", ")}.`
        : `Every PeerAuthentication is in effect as written (${plural(findings.length, "policy")}).`,
    findings,
    evidence: [peerAuthenticationTable(model)],
  };
}

// ---------------------------------------------------------------------------------------------
// MP-MTLS-03: plaintext callers, from Prometheus and from the cluster's structure

function callerFinding(caller: PlaintextCaller): Finding {
  const port = caller.port !== undefined ? `port ${caller.port}` : "a port the metrics do not name";
  return {
    subject: caller.target,
    verdict: caller.verdict,
    message: `${caller.caller} calls ${port} in plaintext (${caller.evidence}). ${caller.note ?? ""}`.trim(),
    strength: caller.source === "telemetry" ? "strong" : "medium",
    basis: [caller.source === "telemetry" ? "Prometheus istio metrics" : `cluster structure (${caller.source})`],
    hint: caller.hint,
  };
}

function telemetryFinding(model: ClusterModel, report: CallerReport): Finding {
  const telemetry = report.telemetry;
  const subject = telemetry.url ? `Prometheus ${telemetry.url}` : "Prometheus (not given)";
  const window = telemetry.window ?? "24h";
  switch (telemetry.status) {
    case "not-collected":
      return {
        subject,
        verdict: "skip",
        message:
          "Telemetry not measured: no --prometheus URL was given, so only the callers the objects show are listed; callers outside them (CronJobs, other namespaces) are not.",
        hint: "Run with --prometheus URL --prometheus-window 24h; the window must cover the slowest caller (an ExternalSecret's refreshInterval, a CronJob's schedule).",
      };
    case "error":
      return {
        subject,
        verdict: "unknown",
        message: `The telemetry queries failed: ${telemetry.errors.join("; ")}.`,
        hint: "Check the URL and that Prometheus answers GET /api/v1/query.",
      };
    case "no-series":
      return {
        subject,
        verdict: "unknown",
        message: `No Istio series in the last ${window}: no samples is not the same as no plaintext.`,
        hint: "Check that sidecars report metrics (meshConfig.defaultProviders.metrics, Telemetry objects) and that Prometheus scrapes them.",
      };
    case "no-mtls-control":
      return {
        subject,
        verdict: "unknown",
        message: `Istio series exist in the last ${window}, but none shows mutual_tls traffic, so the positive control is missing and an absence of plaintext proves nothing.`,
      };
    case "measured": {
      const plaintext = telemetry.plaintext.length;
      const coverage = windowCoverage(model, window);
      return {
        subject,
        verdict: measuredVerdict(coverage, plaintext),
        message: `${plaintext} plaintext series and ${telemetry.mtlsSeries} mTLS series (the positive control) in the last ${window}.${coverage ? ` ${coverage}` : ""}`,
        hint: coverage ? "Run again with a longer --prometheus-window." : undefined,
      };
    }
  }
}

function measuredVerdict(coverage: string | undefined, plaintext: number): Finding["verdict"] {
  if (coverage) return "warn";
  return plaintext > 0 ? "info" : "pass";
}

/** Explains when the window is shorter than the slowest ExternalSecret refresh, so a caller could be missed; undefined otherwise. */
function windowCoverage(model: ClusterModel, window: string): string | undefined {
  const windowMs = parsePrometheusDuration(window);
  if (windowMs === undefined) return undefined;
  let slowest: { ms: number; text: string; subject: string } | undefined;
  for (const secret of model.list("ExternalSecret")) {
    const text = String(secret.spec?.refreshInterval ?? "1h");
    const ms = goDurationMs(text);
    if (ms !== undefined && (!slowest || ms > slowest.ms))
      slowest = { ms, text, subject: `ExternalSecret ${secret.metadata.namespace}/${secret.metadata.name}` };
  }
  if (slowest && slowest.ms > windowMs)
    return `The window is shorter than the refreshInterval ${slowest.text} of ${slowest.subject}, so its caller may not appear.`;
  return undefined;
}

/** Optional resources the structural search reads; an absent CRD (not-found) just means there are none. */
const CALLER_SOURCES = [
  "ingresses.networking.k8s.io",
  "servicemonitors.monitoring.coreos.com",
  "podmonitors.monitoring.coreos.com",
  "secretstores.external-secrets.io",
  "clustersecretstores.external-secrets.io",
];

function unreadSources(model: ClusterModel): Finding[] {
  return CALLER_SOURCES.flatMap((resource) =>
    model
      .issuesFor(resource)
      .filter((issue) => issue.reason !== "not-found")
      .map((issue) => ({
        subject: `Resource ${resource}`,
        verdict: "unknown" as const,
        message: `${resource} could not be read (${issue.reason}), so callers through these objects are not listed: ${issue.message}`,
        hint: issue.permission ? `Grant "${issue.permission}" to the identity meshproof runs as.` : undefined,
      })),
  );
}

function runPlaintextCallers({ model, plan }: CheckContext): CheckOutcome {
  const report = callerReportOf(model, plan);
  const findings = [telemetryFinding(model, report), ...unreadSources(model), ...report.callers.map(callerFinding)];
  const blocking = report.callers.filter((caller) => caller.blocksStrict);

  const evidence: Evidence[] = report.telemetry.items.map((item) => ({
    command: item.command,
    output: item.error ? `error (${item.error.reason}): ${item.error.message}` : item.output,
    source: "live",
  }));
  if (report.read.ingresses.length) {
    evidence.push(
      objectEvidence(
        "kubectl get ingress -A -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,BACKEND:.spec.rules[*].http.paths[*].backend.service,SERVICE-UPSTREAM:.metadata.annotations.nginx\\.ingress\\.kubernetes\\.io/service-upstream",
        table(
          ["NAMESPACE", "NAME", "BACKEND", "CONTAINER-PORT", "WORKLOAD", "SERVICE-UPSTREAM"],
          report.read.ingresses,
        ),
      ),
    );
  }
  if (report.read.monitors.length) {
    evidence.push(
      objectEvidence(
        "kubectl get servicemonitor,podmonitor -A -o yaml",
        table(["MONITOR", "SELECTOR", "PORTS"], report.read.monitors),
      ),
    );
  }
  if (report.read.stores.length) {
    evidence.push(
      objectEvidence(
        "kubectl get clustersecretstore,secretstore -A -o jsonpath='{..spec.provider.vault.server}'",
        table(["STORE", "SERVER", "TARGET"], report.read.stores),
      ),
    );
  }
  if (report.read.probes.length) {
    evidence.push(
      objectEvidence(
        "kubectl get pods -A -o yaml   # probes of meshed pods",
        table(["POD", "CONTAINER", "PROBE", "PORT"], report.read.probes),
      ),
    );
  }

  const named = blocking.map(
    (caller) =>
      `${caller.caller.split(" (")[0]} → ${caller.target.split(" ")[1] ?? caller.target}${caller.port ? `:${caller.port}` : ""}`,
  );
  const telemetry =
    report.telemetry.status === "measured"
      ? `telemetry over ${report.telemetry.window}`
      : `telemetry ${report.telemetry.status.replace("-", " ")}`;
  return {
    summary: blocking.length
      ? `${plural(blocking.length, "plaintext caller")} ${blocking.some((caller) => caller.today === "STRICT") ? "rejected or about to be rejected by STRICT" : "would break under STRICT"}: ${[...new Set(named)].join("; ")} (${telemetry}).`
      : `No plaintext caller on a port that would go STRICT (${telemetry}).`,
    findings,
    evidence,
    facts: {
      // A caller that a STRICT port rejects today is a broken path now, not a risk for the flip.
      outages: [
        ...new Set(
          report.callers
            .filter((caller) => caller.today === "STRICT" && caller.verdict === "fail")
            .map((caller) => caller.target),
        ),
      ],
      plaintextCallers: report.callers,
      telemetry: {
        status: report.telemetry.status,
        url: report.telemetry.url,
        window: report.telemetry.window,
        mtlsSeries: report.telemetry.mtlsSeries,
        plaintextSeries: report.telemetry.plaintext.length,
        errors: report.telemetry.errors,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// MP-MTLS-04: client-side TLS conflicts and outbound policy

function runClientSide({ model, plan }: CheckContext): CheckOutcome {
  const findings = judgeClientSide(model, plan);
  const conflicts = findings.filter((finding) => finding.verdict === "fail");
  const outbound = findings.filter((finding) => finding.verdict === "warn");
  const rules = model.list("DestinationRule");
  const rows = rules.map((rule) => [
    rule.metadata.namespace ?? "",
    rule.metadata.name,
    String(rule.spec?.host ?? ""),
    String(rule.spec?.trafficPolicy?.tls?.mode ?? "-"),
  ]);
  return {
    summary: conflicts.length
      ? `${plural(conflicts.length, "client-side TLS conflict")}: ${conflicts.map((finding) => finding.subject).join(", ")}.`
      : `No DestinationRule conflicts with the servers behind it (${plural(rules.length, "rule")}); outbound policy ${model.mesh.outboundTrafficPolicy}${outbound.length ? `, but ${outbound.map((finding) => finding.message.replace(/^outboundTrafficPolicy ALLOW_ANY: /, "")).join("; ")}` : "."}`,
    findings,
    evidence: [
      objectEvidence(
        "kubectl get destinationrule -A -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,HOST:.spec.host,TLS:.spec.trafficPolicy.tls.mode",
        rows.length ? table(["NAMESPACE", "NAME", "HOST", "TLS"], rows) : "No resources found",
      ),
      objectEvidence(
        `kubectl -n ${model.options.istioNamespace} get configmap istio -o jsonpath='{.data.mesh}' | grep -A1 outboundTrafficPolicy`,
        `outboundTrafficPolicy:\n  mode: ${model.mesh.outboundTrafficPolicy}${model.mesh.defaulted.includes("outboundTrafficPolicy") ? "   # not set: Istio's default" : ""}`,
      ),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// MP-AUTHZ-01: identity readiness for authorization

function runIdentityReadiness({ model, plan }: CheckContext): CheckOutcome {
  const callers = callerReportOf(model, plan).callers;
  const identities = judgeIdentities(model, plan);
  const principals = judgePrincipals(model, callers);
  const findings = [...identities, ...principals];
  const shared = identities.filter(
    (finding) => finding.verdict === "warn" && finding.subject.startsWith("ServiceAccount "),
  );
  const broken = principals.filter((finding) => finding.verdict === "fail");

  const rows = model
    .meshedWorkloads()
    .map((workload) => [
      workload.subject,
      workload.serviceAccount,
      `spiffe://${model.mesh.trustDomain}/ns/${workload.namespace}/sa/${workload.serviceAccount}`,
    ]);
  const policyRows = model
    .list("AuthorizationPolicy")
    .map((policy) => [
      policy.metadata.namespace ?? "",
      policy.metadata.name,
      String(policy.spec?.action ?? "ALLOW"),
      ((policy.spec?.rules ?? []) as Array<{ from?: Array<{ source?: { principals?: string[] } }> }>)
        .flatMap((rule) => (rule.from ?? []).flatMap((from) => from.source?.principals ?? []))
        .join(",") || "-",
    ]);

  const parts: string[] = [];
  if (shared.length)
    parts.push(
      shared.map((finding) => `${finding.subject} is shared by ${finding.message.split(" ")[0]} workloads`).join("; "),
    );
  if (broken.length) parts.push(`${plural(broken.length, "principal")} can never match`);
  return {
    summary: parts.length
      ? `${parts.join("; ")}.`
      : `Every meshed workload has its own identity and every principal can match (${plural(rows.length, "workload")}).`,
    findings,
    evidence: [
      objectEvidence(
        "kubectl get pods -A -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,SA:.spec.serviceAccountName",
        rows.length ? table(["WORKLOAD", "SERVICEACCOUNT", "SPIFFE ID"], rows) : "No meshed workloads",
      ),
      objectEvidence(
        "kubectl get authorizationpolicy -A -o yaml",
        policyRows.length ? table(["NAMESPACE", "NAME", "ACTION", "PRINCIPALS"], policyRows) : "No resources found",
      ),
    ],
  };
}

export const mtlsChecks: CheckDefinition[] = [
  {
    id: "MP-MTLS-01",
    category: "mtls",
    title: "Each meshed workload has the intended mTLS mode on every port",
    proves:
      "istiod's PeerAuthentication rules (mesh, then namespace, then workload; oldest wins; port-level only on a workload policy) give each meshed workload and container port the mode the current phase intends, and the table shows what the STRICT flip would change.",
    reads: ["PeerAuthentication *", "Pod *", "Service *", "ConfigMap istio-system/istio (rootNamespace)"],
    needs: [PEER_AUTHENTICATIONS, "pods"],
    run: runEffectiveModes,
  },
  {
    id: "MP-MTLS-02",
    category: "mtls",
    title: "Every PeerAuthentication is in effect as written",
    proves:
      "No policy is shadowed, misplaced in the root namespace, keyed on ports istiod ignores, aimed at pods without a sidecar, or a namespace override that a mesh-wide STRICT would not reach.",
    reads: ["PeerAuthentication *", "Pod *", "Service *"],
    needs: [PEER_AUTHENTICATIONS, "pods"],
    run: runPolicies,
  },
  {
    id: "MP-MTLS-03",
    category: "mtls",
    title: "No meshed port that goes STRICT still receives plaintext",
    proves:
      'Every caller of a meshed port that the STRICT flip would close speaks mTLS: Istio\'s destination metrics show no connection_security_policy="none" over the window, and no sidecar-less caller reaches such a port through an Ingress, a scrape, a secret store, a probe or a capture exclusion.',
    reads: [
      "Prometheus istio_requests_total, istio_tcp_connections_opened_total",
      "Ingress *",
      "Service *",
      "ServiceMonitor *",
      "PodMonitor *",
      "ClusterSecretStore *",
      "SecretStore *",
      "Pod *",
    ],
    needs: [PEER_AUTHENTICATIONS, "pods", "services"],
    run: runPlaintextCallers,
  },
  {
    id: "MP-MTLS-04",
    category: "mtls",
    title: "Client-side TLS settings fit the servers they reach",
    proves:
      "No DestinationRule sends Istio mTLS to a pod without a sidecar, Envoy TLS to a database that negotiates its own, plaintext to a meshed service, or a mesh-wide wildcard; and the outbound policy would not cut an external port in use.",
    reads: ["DestinationRule *", "ServiceEntry *", "Service *", "ConfigMap istio-system/istio (outboundTrafficPolicy)"],
    needs: ["destinationrules.networking.istio.io"],
    run: runClientSide,
  },
  {
    id: "MP-AUTHZ-01",
    category: "mtls",
    title: "Workload identities are ready for per-workload authorization",
    proves:
      "Each meshed workload presents its own SPIFFE ID in the form the policy contract expects, and every AuthorizationPolicy principal is in a trust domain istiod matches and names an existing ServiceAccount.",
    reads: ["Pod *", "ServiceAccount *", "AuthorizationPolicy *", "plan spec.callerIdTemplate"],
    // ConfigMaps for the mesh trust domain each workload's SPIFFE ID is built from.
    needs: ["pods", "authorizationpolicies.security.istio.io", "configmaps"],
    run: runIdentityReadiness,
  },
];
