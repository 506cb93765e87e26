import type { CheckResult } from "../checks/types.js";
import type { RolloutPlan } from "../plan/schema.js";
import type { StateBanner, SummaryGroups } from "./result.js";

/**
 * Facts checks publish for the banner and the summary. A check sets them in `facts`; the banner
 * only adds them up, so it never re-derives what a check decided.
 */
export interface BannerFacts {
  appServicesMeshed?: number;
  canariesMeshed?: number;
  /** Subjects of observed outages: failing probes, meshed workloads not ready, failures caused by the rollout. */
  outages?: string[];
  /** One line per failure attributed to before the rollout window. */
  preExisting?: string[];
  /** For gate checks: what the next step waits on. */
  nextStepWaitsOn?: string[];
  /** Effective mesh-wide mTLS mode, when a check derived it. */
  mtlsMode?: string;
}

function facts(check: CheckResult): BannerFacts {
  return (check.facts ?? {}) as BannerFacts;
}

export function buildBanner(checks: CheckResult[], plan: RolloutPlan | undefined): StateBanner {
  let appServicesMeshed = 0;
  let canariesMeshed = 0;
  const outages = new Set<string>();
  const waitsOn: string[] = [];
  let observedMode: string | undefined;
  for (const check of checks) {
    const published = facts(check);
    appServicesMeshed += published.appServicesMeshed ?? 0;
    canariesMeshed += published.canariesMeshed ?? 0;
    for (const subject of published.outages ?? []) outages.add(subject);
    waitsOn.push(...(published.nextStepWaitsOn ?? []));
    observedMode ??= published.mtlsMode;
  }
  const current = plan?.spec.phases.current;
  return {
    mtlsMode: current?.mtls ?? observedMode ?? "unknown (no plan)",
    phase: current ? (current.title ?? current.id) : undefined,
    appServicesMeshed,
    canariesMeshed,
    outages: outages.size,
    outageSubjects: [...outages].sort(),
    outagesBasis: "observed",
    pausedBefore: (plan?.spec.phases.next ?? []).map((phase) => phase.id),
    nextStepWaitsOn: waitsOn.length > 0 ? waitsOn : undefined,
  };
}

export function buildSummary(checks: CheckResult[], plan: RolloutPlan | undefined): SummaryGroups {
  const working: string[] = [];
  const flagged: string[] = [];
  const preExisting: string[] = [];
  for (const check of checks) {
    if (check.verdict === "pass") working.push(`${check.title}: ${check.summary}`);
    if (check.verdict === "warn" || check.verdict === "fail") {
      flagged.push(`${check.verdict.toUpperCase()} ${check.title}: ${check.summary}`);
    }
    preExisting.push(...(facts(check).preExisting ?? []));
  }
  const notYetDone = (plan?.spec.phases.next ?? []).map((phase) =>
    phase.title ? `${phase.id}: ${phase.title}` : phase.id,
  );
  return { working, flagged, preExisting, notYetDone };
}
