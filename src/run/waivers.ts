import { readFile } from "node:fs/promises";
import { load } from "js-yaml";
import { z } from "zod";
import type { CheckResult, Finding } from "../checks/types.js";
import { worstVerdict } from "../checks/types.js";
import { InputError, UserError } from "../errors.js";
import { describeIssues } from "../plan/load.js";

/** A decision to accept findings for a while: which check, which subjects, why, who, until when. */
export const waiverFileSchema = z.strictObject({
  apiVersion: z.literal("meshproof.dev/v1alpha1"),
  kind: z.literal("WaiverList"),
  waivers: z.array(
    z.strictObject({
      check: z.string().min(1).describe("Check id, or a pattern with * such as MP-EXT-*."),
      subject: z.string().min(1).describe("Finding subject pattern with *, e.g. `ServiceAccount sre/*`."),
      reason: z.string().min(1),
      owner: z.string().min(1),
      expires: z.iso.date().describe("Last day the waiver applies (UTC), YYYY-MM-DD."),
    }),
  ),
});

export type Waiver = z.infer<typeof waiverFileSchema>["waivers"][number];

export interface WaiverSet {
  file: string;
  waivers: Waiver[];
}

export async function loadWaivers(file: string): Promise<WaiverSet> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new UserError(`waiver file not found: ${file}. Pass the path of a WaiverList YAML file.`);
    }
    throw new UserError(`cannot read waiver file ${file}: ${(error as Error).message}`);
  }
  return parseWaivers(text, file);
}

export function parseWaivers(text: string, file: string): WaiverSet {
  let document: unknown;
  try {
    document = load(text);
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    throw new InputError(file, `invalid YAML: ${(error as { reason?: string }).reason ?? (error as Error).message}.`, {
      line: mark ? mark.line + 1 : undefined,
      column: mark ? mark.column + 1 : undefined,
    });
  }
  const result = waiverFileSchema.safeParse(document);
  if (!result.success) {
    const { detail, line } = describeIssues(result.error.issues, text);
    throw new InputError(
      file,
      `invalid waiver file: ${detail}. Each waiver needs check, subject, reason, owner and expires (YYYY-MM-DD).`,
      { line },
    );
  }
  return { file, waivers: result.data.waivers };
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

/** True once the waiver's last day (UTC) has passed. */
export function isExpired(waiver: Waiver, now: Date): boolean {
  return now.getTime() >= Date.parse(`${waiver.expires}T00:00:00Z`) + 86_400_000;
}

const WAIVABLE = new Set(["warn", "fail", "unknown"]);

interface CompiledWaiver {
  waiver: Waiver;
  check: RegExp;
  subject: RegExp;
}

/**
 * Applies a waiver file to check results as they are produced, so checks that read earlier results
 * (phase gates) see waived findings as waived. `report()` then describes every waiver.
 */
export class WaiverApplier {
  private readonly active: CompiledWaiver[];
  private readonly matched = new Map<Waiver, number>();

  constructor(
    private readonly set: WaiverSet,
    private readonly now: Date,
  ) {
    this.active = set.waivers
      .filter((waiver) => !isExpired(waiver, now))
      .map((waiver) => ({ waiver, check: globToRegExp(waiver.check), subject: globToRegExp(waiver.subject) }));
  }

  /**
   * Turns matching warn, fail and unknown findings into `waived` and recomputes the check's verdict.
   * Phase gates are left as they are.
   */
  apply(check: CheckResult): CheckResult {
    // Gates are decisions built from other checks' findings, which carry the waivers already.
    if (check.category === "phase-gates") return check;
    const applicable = this.active.filter((entry) => entry.check.test(check.id));
    if (applicable.length === 0) return check;
    let changed = false;
    const findings: Finding[] = check.findings.map((finding) => {
      if (!WAIVABLE.has(finding.verdict)) return finding;
      const entry = applicable.find((candidate) => candidate.subject.test(finding.subject));
      if (!entry) return finding;
      changed = true;
      this.matched.set(entry.waiver, (this.matched.get(entry.waiver) ?? 0) + 1);
      const { reason, owner, expires } = entry.waiver;
      return {
        ...finding,
        verdict: "waived",
        waiver: { originalVerdict: finding.verdict, reason, owner, expires, file: this.set.file },
      };
    });
    if (!changed) return check;
    return { ...check, findings, verdict: worstVerdict(findings.map((finding) => finding.verdict)) ?? check.verdict };
  }

  /** Reports expired waivers and waivers that matched nothing, so a stale waiver file is visible. */
  report(): CheckResult {
    const { set, now } = this;
    let expired = 0;
    let unused = 0;
    let active = 0;
    const findings: Finding[] = set.waivers.map((waiver) => {
      const subject = `Waiver ${waiver.check} ${waiver.subject}`;
      if (isExpired(waiver, now)) {
        expired++;
        return {
          subject,
          verdict: "warn",
          message: `expired on ${waiver.expires} (owner ${waiver.owner}) and no longer applies: ${waiver.reason}`,
          hint: `Renew it in ${set.file} with a new expires date, or fix the findings and delete it.`,
        };
      }
      const count = this.matched.get(waiver) ?? 0;
      if (count === 0) {
        unused++;
        return {
          subject,
          verdict: "warn",
          message: `matches no finding; it may be stale or its check id or subject pattern may be wrong (owner ${waiver.owner})`,
          hint: `Delete it from ${set.file} or correct its check and subject patterns.`,
        };
      }
      active++;
      const plural = count === 1 ? "" : "s";
      return {
        subject,
        verdict: "info",
        message: `waives ${count} finding${plural} until ${waiver.expires} (owner ${waiver.owner}): ${waiver.reason}`,
      };
    });
    const parts = [`${active} active`];
    if (expired) parts.push(`${expired} expired`);
    if (unused) parts.push(`${unused} matching nothing`);
    return {
      id: "MP-WAIVER-01",
      category: "waivers",
      title: "Waivers are current and each matches a finding",
      proves: "Every accepted risk has an owner and an expiry date, and no waiver outlives its reason unnoticed.",
      reads: [set.file],
      verdict: worstVerdict(findings.map((finding) => finding.verdict)) ?? "pass",
      summary: `Waivers from ${set.file}: ${parts.join(", ")}.`,
      findings,
      evidence: [],
    };
  }
}

/** Applies waivers to finished results: the checks with waived findings, then the waiver report. */
export function applyWaivers(checks: CheckResult[], set: WaiverSet, now: Date): CheckResult[] {
  const applier = new WaiverApplier(set, now);
  const waived = checks.map((check) => applier.apply(check));
  return [...waived, applier.report()];
}
