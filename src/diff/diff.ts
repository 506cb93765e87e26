import type { CheckResult, Verdict } from "../checks/types.js";
import type { RunResult } from "../run/result.js";

export const DIFF_FORMAT = "meshproof.dev/diff/v1";

export interface DiffItem {
  /** Kind of change: a finding of a check, a workload's sidecars, a recorded probe, or a policy object. */
  kind: "finding" | "check" | "workload" | "probe" | "policy";
  subject: string;
  checkId?: string;
  before: string;
  after: string;
  message: string;
}

export interface DiffReport {
  format: typeof DIFF_FORMAT;
  before: { source: string; capturedAt?: string };
  after: { source: string; capturedAt?: string };
  /** Got worse: the report's outages. */
  regressions: DiffItem[];
  improvements: DiffItem[];
  /** Changes to the mesh itself: workloads newly meshed, policies added, removed or edited. */
  meshChanges: DiffItem[];
}

/** Severity for comparing verdicts; skip and waived are not measured and never count as a change. */
const RANK: Partial<Record<Verdict, number>> = { pass: 0, info: 0, warn: 1, unknown: 2, fail: 3 };

// Probe results are compared through the recorded responses, which name URL and status, so the
// probe check's findings would only repeat them.
const COMPARED_THROUGH_INVENTORY = new Set(["MP-PROBE-01"]);

interface KeyedFinding {
  check: CheckResult;
  verdict: Verdict;
  message: string;
}

function groupFindings(checks: CheckResult[]): Map<string, KeyedFinding[]> {
  const groups = new Map<string, KeyedFinding[]>();
  for (const check of checks) {
    if (COMPARED_THROUGH_INVENTORY.has(check.id)) continue;
    for (const finding of check.findings) {
      const key = `${check.id}\u0000${finding.subject}`;
      const group = groups.get(key) ?? [];
      group.push({ check, verdict: finding.verdict, message: finding.message });
      groups.set(key, group);
    }
  }
  return groups;
}

/**
 * Pairs the findings of one check on one subject across two runs. One check can report several
 * findings on a subject (two callers of one workload), and their wording changes with the verdict,
 * so identical messages pair first and the rest pair in report order.
 */
function pairFindings(
  before: KeyedFinding[],
  after: KeyedFinding[],
): Array<[KeyedFinding | undefined, KeyedFinding | undefined]> {
  const pairs: Array<[KeyedFinding | undefined, KeyedFinding | undefined]> = [];
  const unmatchedBefore = [...before];
  const unmatchedAfter: KeyedFinding[] = [];
  for (const now of after) {
    const same = unmatchedBefore.findIndex((was) => was.message === now.message);
    if (same === -1) unmatchedAfter.push(now);
    else pairs.push([unmatchedBefore.splice(same, 1)[0], now]);
  }
  const count = Math.max(unmatchedBefore.length, unmatchedAfter.length);
  for (let index = 0; index < count; index++) pairs.push([unmatchedBefore[index], unmatchedAfter[index]]);
  return pairs;
}

/** Compares two run results of the same cluster, typically before and after a maintenance window. */
export function diffResults(
  before: RunResult,
  after: RunResult,
  labels: { before?: string; after?: string } = {},
): DiffReport {
  const report: DiffReport = {
    format: DIFF_FORMAT,
    before: { source: labels.before ?? before.cluster.source, capturedAt: before.cluster.capturedAt },
    after: { source: labels.after ?? after.cluster.source, capturedAt: after.cluster.capturedAt },
    regressions: [],
    improvements: [],
    meshChanges: [],
  };
  compareFindings(before, after, report);
  compareWorkloads(before, after, report);
  compareProbes(before, after, report);
  comparePolicies(before, after, report);
  return report;
}

function compareFindings(before: RunResult, after: RunResult, report: DiffReport): void {
  const old = groupFindings(before.checks);
  const current = groupFindings(after.checks);
  const explained = new Set<string>();
  const keys = new Set([...old.keys(), ...current.keys()]);

  for (const key of keys) {
    const subject = key.split("\u0000")[1] ?? "";
    for (const [was, now] of pairFindings(old.get(key) ?? [], current.get(key) ?? [])) {
      if (now) {
        const rankNow = RANK[now.verdict];
        const rankWas = was ? RANK[was.verdict] : 0;
        if (rankNow === undefined || rankWas === undefined || rankNow === rankWas) continue;
        explained.add(now.check.id);
        const item: DiffItem = {
          kind: "finding",
          subject,
          checkId: now.check.id,
          before: was?.verdict ?? "absent",
          after: now.verdict,
          message: `${now.check.id} ${now.check.title}: ${now.message}`,
        };
        (rankNow > rankWas ? report.regressions : report.improvements).push(item);
        continue;
      }
      if (!was) continue;
      const rankWas = RANK[was.verdict];
      if (rankWas === undefined || rankWas === 0) continue;
      const stillRan = after.checks.find((check) => check.id === was.check.id);
      if (!stillRan || stillRan.verdict === "skip") continue;
      explained.add(was.check.id);
      report.improvements.push({
        kind: "finding",
        subject,
        checkId: was.check.id,
        before: was.verdict,
        after: "resolved",
        message: `${was.check.id} ${was.check.title}: no longer reported (was: ${was.message})`,
      });
    }
  }

  // A check whose verdict moved with no finding-level change is reported at check level.
  for (const check of after.checks) {
    if (explained.has(check.id) || COMPARED_THROUGH_INVENTORY.has(check.id)) continue;
    const was = before.checks.find((candidate) => candidate.id === check.id);
    const rankNow = RANK[check.verdict];
    const rankWas = was ? RANK[was.verdict] : undefined;
    if (!was || rankNow === undefined || rankWas === undefined || rankNow === rankWas) continue;
    const item: DiffItem = {
      kind: "check",
      subject: check.id,
      checkId: check.id,
      before: was.verdict,
      after: check.verdict,
      message: `${check.title}: ${check.summary}`,
    };
    (rankNow > rankWas ? report.regressions : report.improvements).push(item);
  }
}

function compareWorkloads(before: RunResult, after: RunResult, report: DiffReport): void {
  const old = before.mesh.workloads;
  const current = after.mesh.workloads;
  for (const [subject, was] of Object.entries(old)) {
    const now = current[subject];
    if (!now || now.podsMeshed === 0) {
      report.regressions.push({
        kind: "workload",
        subject,
        before: `${was.podsMeshed}/${was.pods} pods with a ${was.sidecar} sidecar`,
        after: now ? `0/${now.pods} pods with a sidecar` : "not meshed or removed",
        message: `${subject} lost its sidecar${now ? "" : " (or the workload was removed)"}`,
      });
    } else if (now.podsMeshed < was.podsMeshed && now.pods >= was.pods) {
      report.regressions.push({
        kind: "workload",
        subject,
        before: `${was.podsMeshed}/${was.pods} pods meshed`,
        after: `${now.podsMeshed}/${now.pods} pods meshed`,
        message: `${subject}: ${was.podsMeshed - now.podsMeshed} pod(s) lost their sidecar`,
      });
    } else if (was.sidecar !== now.sidecar) {
      report.meshChanges.push({
        kind: "workload",
        subject,
        before: was.sidecar,
        after: now.sidecar,
        message: `${subject}: sidecar changed from ${was.sidecar} to ${now.sidecar}`,
      });
    }
  }
  for (const [subject, now] of Object.entries(current)) {
    if (old[subject] || now.podsMeshed === 0) continue;
    report.meshChanges.push({
      kind: "workload",
      subject,
      before: "not meshed",
      after: `${now.podsMeshed}/${now.pods} pods with a ${now.sidecar} sidecar`,
      message: `${subject} newly meshed (${now.sidecar} sidecar)`,
    });
  }
}

function probeOk(probe: { expectedStatus: number; status?: number }): boolean {
  return probe.status === probe.expectedStatus;
}

function probeText(probe: { status?: number; error?: string } | undefined): string {
  if (!probe) return "not recorded";
  return probe.status !== undefined ? `HTTP ${probe.status}` : `no answer (${probe.error ?? "error"})`;
}

function compareProbes(before: RunResult, after: RunResult, report: DiffReport): void {
  for (const [name, now] of Object.entries(after.mesh.probes)) {
    const was = before.mesh.probes[name];
    if (!was) continue;
    if (probeOk(was) && !probeOk(now)) {
      report.regressions.push({
        kind: "probe",
        subject: `Probe ${name}`,
        before: probeText(was),
        after: probeText(now),
        message: `${now.url} returned ${probeText(now)}, expected ${now.expectedStatus} (was ${probeText(was)})`,
      });
    } else if (!probeOk(was) && probeOk(now)) {
      report.improvements.push({
        kind: "probe",
        subject: `Probe ${name}`,
        before: probeText(was),
        after: probeText(now),
        message: `${now.url} returns ${probeText(now)} again`,
      });
    }
  }
}

function comparePolicies(before: RunResult, after: RunResult, report: DiffReport): void {
  const old = before.mesh.policies;
  const current = after.mesh.policies;
  for (const [subject, spec] of Object.entries(current)) {
    if (old[subject] === undefined) {
      report.meshChanges.push({
        kind: "policy",
        subject,
        before: "absent",
        after: "created",
        message: `${subject} created`,
      });
    } else if (old[subject] !== spec) {
      report.meshChanges.push({
        kind: "policy",
        subject,
        before: old[subject] ?? "",
        after: spec,
        message: `${subject} changed`,
      });
    }
  }
  for (const subject of Object.keys(old)) {
    if (current[subject] === undefined) {
      report.meshChanges.push({
        kind: "policy",
        subject,
        before: "present",
        after: "deleted",
        message: `${subject} deleted`,
      });
    }
  }
}

/**
 * Outages measured against a baseline: what is broken now and was not then. Observed outages
 * (failing probes, meshed workloads not ready, failures caused by the rollout) are compared by
 * subject, and workloads that lost their sidecar are added, each subject once.
 */
export function outagesAgainst(baseline: RunResult, current: RunResult, report: DiffReport): string[] {
  const before = new Set(baseline.banner.outageSubjects);
  const outages = new Set(current.banner.outageSubjects.filter((subject) => !before.has(subject)));
  for (const item of report.regressions) {
    if (item.kind === "workload" || item.kind === "probe") outages.add(item.subject);
  }
  return [...outages].sort();
}
