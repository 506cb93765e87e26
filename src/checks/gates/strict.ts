import type { PlanPhase } from "../../plan/schema.js";
import { objectEvidence, table } from "../evidence.js";
import { judgeIdentities, judgePrincipals } from "../mtls/authorization.js";
import type { PlaintextCaller } from "../mtls/callers.js";
import { judgeClientSide } from "../mtls/destination-rules.js";
import { namespaceOverrides } from "../mtls/dry-run.js";
import type { TelemetryStatus } from "../mtls/telemetry.js";
import { callerReportOf } from "../mtls.js";
import type { CheckContext, Finding } from "../types.js";
import { type GateItem, type GateParts, relatedFindings, resultOf } from "./common.js";

interface TelemetryFacts {
  status: TelemetryStatus;
  url?: string;
  window?: string;
  mtlsSeries: number;
  errors: string[];
}

function shortTarget(subject: string): string {
  return subject.split(" ")[1] ?? subject;
}

function callerShort(caller: PlaintextCaller): string {
  return caller.caller.split(" (")[0]?.split(",")[0] ?? caller.caller;
}

/**
 * Collects the items of the strict gate. Every caller that the STRICT flip would reject blocks, and
 * its item names the target, the port and the evidence. Callers of workloads without a sidecar are
 * listed as not blocking. Without measured telemetry (not given, no Istio series, no mTLS control)
 * the gate is UNDECIDED at best, because callers outside the objects show only in metrics.
 */
export function strictGate(context: CheckContext, _phase: PlanPhase): GateParts {
  const { model, plan } = context;
  const items: GateItem[] = [];

  // Earlier mTLS checks that could not read their data leave the gate undecided.
  for (const id of ["MP-MTLS-01", "MP-MTLS-02", "MP-MTLS-03", "MP-MTLS-04", "MP-AUTHZ-01"]) {
    const result = resultOf(context, id);
    if (result?.verdict === "unknown" && result.findings.every((finding) => finding.subject.startsWith("Resource "))) {
      items.push({ subject: `Check ${id}`, verdict: "unknown", message: `${result.title}: ${result.summary}` });
    }
  }

  // MTLS-03, MTLS-04 and MTLS-06: plaintext callers, from telemetry and from the structure.
  const callersResult = resultOf(context, "MP-MTLS-03");
  const report = callerReportOf(model, plan);
  const callers = (callersResult?.facts?.plaintextCallers as PlaintextCaller[] | undefined) ?? report.callers;
  const telemetry = (callersResult?.facts?.telemetry as TelemetryFacts | undefined) ?? {
    status: report.telemetry.status,
    url: report.telemetry.url,
    window: report.telemetry.window,
    mtlsSeries: report.telemetry.mtlsSeries,
    errors: report.telemetry.errors,
  };

  for (const caller of callers) {
    const port = caller.port !== undefined ? `port ${caller.port}` : "a port the metrics do not name";
    if (caller.blocksStrict) {
      items.push({
        subject: caller.target,
        verdict: "fail",
        message: `${caller.caller} calls ${port} in plaintext, and the port is ${caller.after ?? "STRICT"} after the flip. Evidence: ${caller.evidence}.`,
        short: `${callerShort(caller)} → ${shortTarget(caller.target)}${caller.port !== undefined ? `:${caller.port}` : ""} in plaintext`,
        strength: caller.source === "telemetry" ? "strong" : "medium",
        basis: [caller.source === "telemetry" ? "Prometheus istio metrics" : `cluster structure (${caller.source})`],
        hint: caller.hint,
      });
    } else if (caller.source === "uncaptured-port" || caller.source === "host-network") {
      items.push({
        subject: caller.target,
        verdict: caller.verdict === "warn" ? "warn" : "info",
        message: `${caller.caller}, ${port}: ${caller.note ?? ""} Evidence: ${caller.evidence}.`,
        hint: caller.hint,
      });
    } else {
      items.push({
        subject: caller.target,
        verdict: "info",
        message: `${caller.caller} calls ${port} in plaintext. ${caller.note ?? "Not blocking."} Evidence: ${caller.evidence}.`,
      });
    }
  }
  items.push(telemetryItem(telemetry));
  for (const finding of callersResult?.findings ?? []) {
    if (finding.verdict === "unknown" && finding.subject.startsWith("Resource "))
      items.push(referenced("MP-MTLS-03", finding));
  }

  // MTLS-03: a namespace policy the flip must change too, or the namespace stays as it is.
  for (const policy of namespaceOverrides(model)) {
    const namespace = policy.metadata.namespace ?? "default";
    if (!model.podsInNamespace(namespace).some((pod) => pod.sidecar.kind !== "none")) continue;
    items.push({
      subject: `PeerAuthentication ${namespace}/${policy.metadata.name}`,
      verdict: "warn",
      message: `Namespace-wide ${policy.spec?.mtls?.mode}: the flip must set it to STRICT or delete it in the same step, or a mesh-wide STRICT never reaches namespace ${namespace}. The callers above assume it is flipped.`,
    });
  }

  // MTLS-05 and EXT-04: client-side conflicts.
  const clientSide = resultOf(context, "MP-MTLS-04")?.findings ?? judgeClientSide(model, plan);
  items.push(
    ...clientSide
      .filter((finding) => finding.verdict === "fail" || finding.verdict === "warn" || finding.verdict === "waived")
      .map((finding) => referenced("MP-MTLS-04", finding)),
  );

  // Waived findings stay listed, as waived, so the gate shows what was accepted and by which owner.
  // AUTHZ-02, and AUTHZ-01 for the record: principals that never match block; shared identities need a sign-off.
  const identity = resultOf(context, "MP-AUTHZ-01")?.findings ?? [
    ...judgeIdentities(model, plan),
    ...judgePrincipals(model, report.callers),
  ];
  items.push(
    ...identity
      .filter((finding) => ["fail", "warn", "unknown", "waived"].includes(finding.verdict))
      .map((finding) => referenced("MP-AUTHZ-01", finding)),
  );

  // External ports still in question, for example a connection-pool port whose use is unconfirmed.
  for (const { result, finding } of relatedFindings(
    context,
    ["external-services"],
    (finding) => finding.verdict === "warn" || finding.verdict === "fail" || finding.verdict === "waived",
  )) {
    items.push(referenced(result.id, finding));
  }

  const rows = callers.map((caller) => [
    caller.target,
    caller.port !== undefined ? String(caller.port) : "?",
    callerShort(caller),
    caller.after ?? "-",
    caller.blocksStrict ? "yes" : "no",
  ]);
  return {
    items,
    evidence: [
      objectEvidence(
        `meshproof verify${plan ? " --plan <plan>" : ""}${telemetry.url ? ` --prometheus ${telemetry.url}` : ""}   # MP-MTLS-03 plaintext callers`,
        rows.length ? table(["TARGET", "PORT", "CALLER", "AFTER-FLIP", "BLOCKS"], rows) : "No plaintext callers found",
      ),
    ],
  };
}

function referenced(id: string, finding: Finding): GateItem {
  return { ...finding, message: `${id}: ${finding.message}` };
}

function telemetryItem(telemetry: TelemetryFacts): GateItem {
  const subject = telemetry.url ? `Prometheus ${telemetry.url}` : "Prometheus (not given)";
  const window = telemetry.window ?? "24h";
  switch (telemetry.status) {
    case "not-collected":
      return {
        subject,
        verdict: "unknown",
        message:
          "Telemetry not measured: no --prometheus URL was given. Callers that the objects do not show (other namespaces, CronJobs, clients outside the cluster) appear only in Istio's metrics, so the flip cannot be GO without them.",
        short: "telemetry not measured (run with --prometheus URL)",
        hint: "meshproof gate <phase> --prometheus http://<prometheus>:9090 --prometheus-window 24h   # the window must cover the slowest caller",
      };
    case "error":
      return {
        subject,
        verdict: "unknown",
        message: `The telemetry queries failed: ${telemetry.errors.join("; ")}.`,
        short: "telemetry queries failed",
      };
    case "no-series":
      return {
        subject,
        verdict: "unknown",
        message: `No Istio series in the last ${window}: no samples is not the same as no plaintext.`,
        short: `no Istio series in ${window}`,
      };
    case "no-mtls-control":
      return {
        subject,
        verdict: "unknown",
        message: `No series shows mutual_tls traffic in the last ${window}, so the positive control is missing.`,
        short: `no mTLS traffic in ${window} (positive control)`,
      };
    case "measured":
      return {
        subject,
        verdict: "pass",
        message: `Measured over ${window}: ${telemetry.mtlsSeries} series show mTLS traffic; every plaintext series is listed above.`,
      };
  }
}
