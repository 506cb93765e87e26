import type { HttpProbeEvidence } from "../collect/types.js";
import type { PlanProbe } from "../plan/schema.js";
import type { CheckDefinition, Evidence, Finding } from "./types.js";

/** Headers that show which proxies a response crossed. */
const PATH_HEADERS = ["server", "x-envoy-upstream-service-time", "via", "location"];

function probeSubject(probe: PlanProbe): string {
  return probe.workload ?? `Probe ${probe.name}`;
}

function curlCommand(probe: PlanProbe): string {
  const method = probe.method === "HEAD" ? "-I " : "";
  return `curl -s ${method}-o /dev/null -w '%{http_code} %{time_total}s\\n' --max-time ${probe.timeoutSeconds} ${probe.url}`;
}

function describePath(evidence: HttpProbeEvidence): string {
  const shown = PATH_HEADERS.filter((header) => evidence.headers[header] !== undefined).map(
    (header) => `${header}: ${evidence.headers[header]}`,
  );
  return shown.length > 0 ? ` (${shown.join(", ")})` : "";
}

function judgeProbe(probe: PlanProbe, evidence: HttpProbeEvidence | undefined, live: boolean): Finding {
  const subject = probeSubject(probe);
  const role = probe.control ? "control outside the mesh" : "path into the mesh";
  if (!evidence) {
    return live
      ? {
          subject,
          verdict: "unknown",
          message: `${probe.name}: no result was recorded for ${probe.method} ${probe.url} (${role}).`,
        }
      : {
          subject,
          verdict: "skip",
          message: `${probe.name}: not sent, because the input is a snapshot without recorded probe results; a live run sends ${probe.method} ${probe.url} and expects ${probe.expectedStatus}.`,
        };
  }
  if (evidence.error || evidence.status === undefined) {
    return {
      subject,
      verdict: "fail",
      message: `${probe.name}: ${probe.method} ${probe.url} received no response after ${evidence.attempts} attempt${evidence.attempts === 1 ? "" : "s"}: ${evidence.error?.message ?? "no status"} (${role}: ${probe.description}).`,
      hint: "Check the path from where meshproof ran: DNS, the load balancer, ingress-nginx and the target pods' readiness. A network error can also come from the vantage point itself.",
    };
  }
  const latency = evidence.latencyMs !== undefined ? `, ${Math.round(evidence.latencyMs)} ms` : "";
  if (evidence.status !== probe.expectedStatus) {
    return {
      subject,
      verdict: "fail",
      message: `${probe.name}: HTTP ${evidence.status}, expected ${probe.expectedStatus}${latency}${describePath(evidence)}. ${probe.description}.`,
      hint: probe.control
        ? "A control outside the mesh changed: the cause is probably not the mesh, but confirm nothing in its path was meshed."
        : "Compare with the last good run (meshproof diff), then read the target's istio-proxy logs: kubectl logs -c istio-proxy <pod>.",
    };
  }
  return {
    subject,
    verdict: "pass",
    message: `${probe.name}: HTTP ${evidence.status} as expected${latency}${describePath(evidence)}. ${probe.description}.`,
  };
}

export const probeChecks: CheckDefinition[] = [
  {
    id: "MP-PROBE-01",
    category: "probes",
    title: "Public paths through the ingress answer as expected",
    proves:
      "Requests from outside still reach meshed services through the sidecar-less ingress, and controls outside the mesh are unaffected.",
    reads: ["plan probes", "HTTP responses recorded by a live run"],
    requiresPlan: true,
    run({ model, plan }) {
      const probes = plan?.spec.probes ?? [];
      if (probes.length === 0) {
        return {
          verdict: "skip",
          summary: "Skipped: the plan lists no HTTP probes.",
          findings: [],
          evidence: [],
          remediation:
            "Add spec.probes to the plan: one per public path into the mesh and one or two controls outside it.",
        };
      }

      const recorded = new Map<string, HttpProbeEvidence>();
      for (const item of model.evidence) {
        if (item.type === "http-probe") recorded.set(item.probe, item);
      }

      const findings: Finding[] = [];
      const evidence: Evidence[] = [];
      const outages: string[] = [];
      for (const probe of probes) {
        const result = recorded.get(probe.name);
        const finding = judgeProbe(probe, result, model.live);
        findings.push(finding);
        if (finding.verdict === "fail") outages.push(finding.subject);
        evidence.push({
          command: result?.command ?? curlCommand(probe),
          output: result ? result.output : "(not run: snapshot input)",
          source: result ? "live" : "objects",
        });
      }

      const answered = findings.filter((finding) => finding.verdict === "pass").length;
      const failed = findings.filter((finding) => finding.verdict === "fail");
      const statuses = probes
        .map((probe) => recorded.get(probe.name)?.status)
        .filter((status): status is number => status !== undefined);
      const summary =
        statuses.length === 0
          ? `Not measured: ${probes.length} probes need a live run.`
          : failed.length > 0
            ? `${failed.length} of ${probes.length} paths broken: ${failed.map((finding) => finding.subject).join(", ")}.`
            : `HTTP ${statuses.join(", ")}: all ${answered} paths answer as expected.`;
      return { summary, findings, evidence, facts: { outages } };
    },
  },
];
