import type { CheckResult, Evidence, Finding, Verdict } from "../../checks/types.js";
import { worstVerdict } from "../../checks/types.js";
import { gateDecision, type RunResult } from "../../run/result.js";
import {
  bannerParts,
  type CategoryGroup,
  describeBaseline,
  describeNotMeasured,
  describeOutageBasis,
  describeSource,
  describeWaiver,
  GATES_NOTE,
  isPhaseGate,
  omittedNote,
  plural,
  SUMMARY_GROUPS,
  showsFindings,
  truncateLines,
  VERDICTS,
} from "../common.js";
import { html, type SafeHtml } from "./escape.js";
import { checkAnchor, verdictClass, verdictLabel } from "./flow.js";

function badge(verdict: Verdict | undefined, label?: string): SafeHtml {
  return html`<span class="badge ${verdictClass(verdict)}">${label ?? verdictLabel(verdict)}</span>`;
}

/** Formats a gate's badge text from its decision (GO, NO-GO, UNDECIDED), because a gate judges the next phase. */
function gateLabel(check: CheckResult): string {
  const decision = gateDecision(check);
  return decision === "SKIPPED" ? decision : `${verdictLabel(DECISION_VERDICTS[decision]).split(" ")[0]} ${decision}`;
}

function list(items: readonly string[]): SafeHtml {
  return html`<ul>${items.map((item) => html`<li>${item}</li>`)}</ul>`;
}

/** The verdict colour of each gate decision. */
const DECISION_VERDICTS: Record<RunResult["gates"][number]["decision"], Verdict> = {
  GO: "pass",
  "NO-GO": "fail",
  UNDECIDED: "unknown",
  SKIPPED: "skip",
};

function renderGates(result: RunResult): SafeHtml | string {
  if (result.gates.length === 0) return "";
  const decisions = result.gates.map(
    (gate, index) =>
      html`${index > 0 ? ", " : ""}${gate.phase} <span class="badge ${verdictClass(DECISION_VERDICTS[gate.decision])}">${gate.decision}</span>`,
  );
  return html`<p class="gates"><strong>Phase gates:</strong> ${decisions} <span class="muted">(${GATES_NOTE})</span></p>`;
}

/** Renders the header: where the data came from, the state line, counts, gates, and what the next step waits on. */
export function renderBanner(result: RunResult): SafeHtml {
  const { banner } = result;
  // Gates judge the next phase, so like the exit code the banner colour leaves them out.
  const overall = worstVerdict(result.checks.filter((item) => !isPhaseGate(item)).map((item) => item.verdict));
  const outageNotes = [describeOutageBasis(banner), describeNotMeasured(banner)].filter((note) => note !== undefined);
  // The phase is often a sentence-long title, so its tile is twice as wide and in smaller type.
  const tiles: Array<[string, string | number, string, string[]]> = [
    ["mTLS", banner.mtlsMode, "tile", banner.plannedMtlsMode ? [`plan: ${banner.plannedMtlsMode}`] : []],
    ["Phase", banner.phase ?? "none", "tile wide", []],
    ["App services meshed", banner.appServicesMeshed, "tile", []],
    ["Canaries meshed", banner.canariesMeshed, "tile", []],
    ["Outages", banner.outages, "tile", outageNotes],
  ];
  const counts = VERDICTS.filter((verdict) => (result.counts[verdict] ?? 0) > 0).map(
    (verdict) => html`<li class="badge ${verdictClass(verdict)}">${result.counts[verdict]} ${verdict}</li>`,
  );

  return html`<header>
<h1>meshproof report: ${result.cluster.name ?? result.cluster.source}</h1>
<p class="source">${describeSource(result).join(" · ")}</p>
<section class="banner ${verdictClass(overall)}" aria-label="State">
<p class="state">STATE: ${bannerParts(banner).map((part, index) => html`${index > 0 ? " · " : ""}<span>${part}</span>`)}</p>
<dl class="tiles">${tiles.map(
    ([label, value, kind, notes]) =>
      html`<div class="${kind}"><dt>${label}</dt><dd>${value}</dd>${notes.map((note) => html`<dd class="note">${note}</dd>`)}</div>`,
  )}</dl>
${describeBaseline(banner) ? html`<p class="paused">${describeBaseline(banner)}</p>` : ""}
${banner.pausedBefore.length > 0 ? html`<p class="paused"><strong>Paused before:</strong> ${banner.pausedBefore.join(" → ")}</p>` : ""}
<ul class="counts" aria-label="Checks by verdict">${counts}</ul>
${renderGates(result)}
${banner.outageSubjects.length > 0 ? html`<h2>Outages</h2>${list(banner.outageSubjects)}` : ""}
${banner.nextStepWaitsOn && banner.nextStepWaitsOn.length > 0 ? html`<h2>Next step waits on</h2>${list(banner.nextStepWaitsOn)}` : ""}
</section>
</header>`;
}

function renderFindingRow(finding: Finding): SafeHtml {
  const trust = [
    finding.basis && finding.basis.length > 0 ? `basis: ${finding.basis.join(", ")}` : "",
    finding.strength ? `strength: ${finding.strength}` : "",
  ].filter(Boolean);
  const waiver = describeWaiver(finding);
  return html`<tr class="${verdictClass(finding.verdict)}">
<td data-label="Verdict">${badge(finding.verdict)}</td>
<td data-label="Subject" class="finding-subject">${finding.subject}</td>
<td data-label="Message">${finding.message}${trust.length > 0 ? html`<div class="trust">${trust.join("; ")}</div>` : ""}${
    waiver ? html`<div class="waiver">${waiver}</div>` : ""
  }</td>
<td data-label="Hint">${finding.hint ?? ""}</td>
</tr>`;
}

function renderFindings(item: CheckResult): SafeHtml {
  if (item.findings.length === 0) return html``;
  return html`<table class="findings">
<thead><tr><th scope="col">Verdict</th><th scope="col">Subject</th><th scope="col">Message</th><th scope="col">Hint</th></tr></thead>
<tbody>${item.findings.map(renderFindingRow)}</tbody>
</table>`;
}

/** Notes under an evidence command. Evidence from objects was never run, so its command is only the equivalent one. */
const EVIDENCE_SOURCE_NOTES: Record<Evidence["source"], string> = {
  objects: "equivalent command — output rebuilt from the collected objects",
  live: "run live",
};

function renderEvidence(evidence: Evidence, maxLines: number): SafeHtml {
  const output = truncateLines(evidence.output, maxLines);
  const total = output.lines.length + output.omitted;
  const note = output.omitted > 0 ? `\n${omittedNote(output.omitted)}` : "";
  return html`<div class="evidence-item">
<pre><code>$ ${evidence.command}</code></pre>
<p class="evidence-source">${EVIDENCE_SOURCE_NOTES[evidence.source]}</p>
<details class="output"><summary>Output (${plural(total, "line")})</summary>
<pre><code>${output.lines.join("\n")}${note}</code></pre>
</details>
</div>`;
}

function renderCheck(item: CheckResult, evidenceLines: number): SafeHtml {
  const remediation = item.remediation
    ? html`<p class="remediation"><strong>Remediation:</strong> ${item.remediation}</p>`
    : "";
  const evidence =
    item.evidence.length > 0
      ? html`<div class="evidence"><h4>Evidence</h4>${item.evidence.map((entry) => renderEvidence(entry, evidenceLines))}</div>`
      : "";
  let body = html`${renderFindings(item)}${remediation}${evidence}`;
  // A check that needs no attention only lists what was proven, so its findings and evidence start collapsed.
  if (!showsFindings(item) && (item.findings.length > 0 || item.evidence.length > 0)) {
    const label = `${plural(item.findings.length, "finding")}, ${plural(item.evidence.length, "evidence item")}`;
    body = html`${remediation}<details class="more"><summary>${label}</summary>${renderFindings(item)}${evidence}</details>`;
  }

  return html`<article class="check ${verdictClass(item.verdict)}" id="${checkAnchor(item.id)}">
<div class="check-head">${item.category === "phase-gates" ? badge(item.verdict, gateLabel(item)) : badge(item.verdict)} <code class="check-id">${item.id}</code> <h3>${item.title}</h3></div>
<p class="summary">${item.summary}</p>
${item.proves ? html`<p><strong>Proves:</strong> ${item.proves}</p>` : ""}
${item.reads.length > 0 ? html`<p class="muted"><strong>Reads:</strong> ${item.reads.join(", ")}</p>` : ""}
${body}
</article>`;
}

export function renderCategory(group: CategoryGroup, evidenceLines: number): SafeHtml {
  return html`<section class="category" id="category-${group.category}" aria-labelledby="category-${group.category}-heading">
<h2 id="category-${group.category}-heading">${group.title}</h2>
${group.checks.map((item) => renderCheck(item, evidenceLines))}
</section>`;
}

/** Links to each category with its worst verdict. */
export function renderContents(groups: CategoryGroup[]): SafeHtml {
  const items = groups.map((group) => {
    const verdict = worstVerdict(group.checks.map((item) => item.verdict));
    const worst = group.checks.find((item) => item.verdict === verdict);
    const label = group.category === "phase-gates" && worst ? gateLabel(worst) : undefined;
    return html`<li><a href="#category-${group.category}">${group.title}</a> ${badge(verdict, label)}</li>`;
  });
  return html`<nav aria-label="Categories"><ul class="toc">${items}</ul></nav>`;
}

export function renderSummaryGroups(result: RunResult): SafeHtml {
  const colours: Verdict[] = ["pass", "warn", "info", "skip"];
  const cards = SUMMARY_GROUPS.map((group, index) => {
    const items = result.summary[group.key];
    return html`<div class="group ${verdictClass(colours[index])}">
<h3>${group.title}</h3>
${items.length > 0 ? list(items) : html`<p class="muted">None.</p>`}
</div>`;
  });
  return html`<section aria-labelledby="summary-heading"><h2 id="summary-heading">Summary</h2><div class="groups">${cards}</div></section>`;
}

/** Renders the input section: files and objects read, Secrets dropped, what could not be read, skipped documents and reader warnings. */
export function renderInput(result: RunResult): SafeHtml {
  const { input, collectionIssues } = result;
  const rows = [
    ...collectionIssues.map((issue) => {
      const where = issue.namespace ? ` in ${issue.namespace}` : "";
      const permission = issue.permission ? ` (missing permission: ${issue.permission})` : "";
      return html`<li>${badge("unknown")} <code>${issue.resource}</code>${where}: ${issue.reason}: ${issue.message}${permission}</li>`;
    }),
    ...input.skippedDocuments.map((skipped) => {
      const where = skipped.line === undefined ? skipped.file : `${skipped.file}:${skipped.line}`;
      return html`<li>Skipped <code>${where}</code>: ${skipped.reason}</li>`;
    }),
    ...input.duplicates.map(
      (duplicate) =>
        html`<li>Duplicate ${duplicate.subject}: kept ${duplicate.keptFile}, ignored ${duplicate.firstFile}</li>`,
    ),
    ...input.warnings.map((warning) => html`<li>${warning}</li>`),
  ];
  const kinds = Object.entries(input.objectsByKind)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(", ");
  return html`<section aria-labelledby="input-heading"><h2 id="input-heading">Input and collection</h2>
<p class="muted">Read ${plural(input.files.length, "file")}: ${kinds || "no objects"}. ${plural(input.secretsDropped, "Secret")} dropped without reading.</p>
${rows.length > 0 ? html`<ul>${rows}</ul>` : ""}
</section>`;
}
