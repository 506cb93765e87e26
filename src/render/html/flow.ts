import { type CheckCategory, type CheckResult, type Verdict, worstVerdict } from "../../checks/types.js";
import type { RunResult } from "../../run/result.js";
import { VERDICT_SYMBOLS } from "../common.js";
import { html, type SafeHtml } from "./escape.js";

/** One hop of the request and identity flow, coloured by the checks that cover it. */
export interface FlowHop {
  /** One of the drawn hop ids (see DEFAULT_FLOW); hops with other ids are listed in the table only. */
  id: string;
  label: string;
  /** Second line under the label, e.g. `ServiceEntry pass-through`. */
  detail?: string;
  /** Check ids that decide the hop's verdict; an entry ending in `*` matches every id with that prefix. */
  checkIds: string[];
  /** Categories used instead when none of `checkIds` ran. */
  categories?: CheckCategory[];
}

export interface FlowOptions {
  hops: FlowHop[];
}

/**
 * The drawn flow, mapped to the check catalogue's ids. A hop whose checks did not run (a catalogue
 * change, or a custom check set) takes the worst verdict of the checks in its categories instead.
 */
export const DEFAULT_FLOW: FlowOptions = {
  hops: [
    {
      id: "request",
      label: "Public request",
      detail: "client, HTTPS",
      checkIds: ["MP-PROBE-01"],
      categories: ["probes"],
    },
    { id: "ingress", label: "ingress-nginx", detail: "not meshed", checkIds: ["MP-PROBE-01"], categories: ["probes"] },
    {
      id: "envoy",
      label: "Envoy sidecar",
      detail: "istio-proxy",
      checkIds: ["MP-INJ-01", "MP-NS-01", "MP-ID-01", "MP-ID-03", "MP-MTLS-01"],
      categories: ["injection", "native-sidecars", "identity"],
    },
    {
      id: "app",
      label: "App container",
      detail: "meshed service",
      checkIds: ["MP-HEALTH-01"],
      categories: ["workload-health"],
    },
    {
      id: "postgres",
      label: "Managed Postgres",
      detail: "ServiceEntry pass-through",
      checkIds: ["MP-EXT-01"],
      categories: ["external-services"],
    },
    { id: "vault", label: "Vault", detail: "PERMISSIVE exception", checkIds: ["MP-POL-01"], categories: ["policy"] },
    {
      id: "datastores",
      label: "In-namespace datastores",
      detail: "plaintext, not meshed",
      checkIds: ["MP-INJ-02"],
      categories: ["injection"],
    },
    {
      id: "istiod",
      label: "istiod",
      detail: "configures sidecars",
      checkIds: ["MP-CP-*"],
      categories: ["control-plane"],
    },
    {
      id: "spire-server",
      label: "SPIRE server",
      detail: "issues SVIDs",
      checkIds: ["MP-SP-01", "MP-SP-04", "MP-TD-01"],
      categories: ["spire", "trust-domain"],
    },
    { id: "spire-agent", label: "SPIRE agent", detail: "one per node", checkIds: ["MP-SP-02"], categories: ["spire"] },
    {
      id: "csi",
      label: "SPIFFE CSI driver",
      detail: "mounts the socket",
      checkIds: ["MP-SP-03", "MP-ID-02"],
      categories: ["spire"],
    },
  ],
};

export interface ResolvedHop {
  hop: FlowHop;
  /** Undefined when no check covers the hop. */
  verdict?: Verdict;
  checks: CheckResult[];
  matchedBy: "check ids" | "categories" | "nothing";
}

function matchesId(pattern: string, id: string): boolean {
  return pattern.endsWith("*") ? id.startsWith(pattern.slice(0, -1)) : id === pattern;
}

export function resolveHop(hop: FlowHop, result: RunResult): ResolvedHop {
  const byId = result.checks.filter((item) => hop.checkIds.some((pattern) => matchesId(pattern, item.id)));
  if (byId.length > 0)
    return { hop, checks: byId, verdict: worstVerdict(byId.map((c) => c.verdict)), matchedBy: "check ids" };

  const categories = hop.categories ?? [];
  const byCategory = result.checks.filter((item) => categories.includes(item.category));
  if (byCategory.length > 0) {
    return {
      hop,
      checks: byCategory,
      verdict: worstVerdict(byCategory.map((c) => c.verdict)),
      matchedBy: "categories",
    };
  }
  return { hop, checks: [], matchedBy: "nothing" };
}

/** Position of each drawn hop in the 1140×400 view box; every node is 150 wide except the dependencies. */
const LAYOUT: Record<string, { x: number; y: number; width: number }> = {
  request: { x: 10, y: 40, width: 150 },
  ingress: { x: 215, y: 40, width: 150 },
  envoy: { x: 460, y: 40, width: 150 },
  app: { x: 680, y: 40, width: 150 },
  postgres: { x: 900, y: 8, width: 230 },
  vault: { x: 900, y: 86, width: 230 },
  datastores: { x: 900, y: 164, width: 230 },
  istiod: { x: 680, y: 200, width: 150 },
  "spire-server": { x: 10, y: 320, width: 150 },
  "spire-agent": { x: 215, y: 320, width: 150 },
  csi: { x: 460, y: 320, width: 150 },
};
const NODE_HEIGHT = 66;
const POD_BOX = { x: 445, y: 12, width: 400, height: 112 };

type Side = "right" | "left" | "top" | "bottom" | "bottom-right";

/** Edges as [from, to, label, from side, to side]. */
const EDGES: Array<[string, string, string, Side, Side]> = [
  ["request", "ingress", "HTTPS", "right", "left"],
  ["ingress", "envoy", "plaintext", "right", "left"],
  ["envoy", "app", "localhost", "right", "left"],
  ["app", "postgres", "", "right", "left"],
  ["app", "vault", "", "right", "left"],
  ["app", "datastores", "", "right", "left"],
  ["istiod", "envoy", "xDS config", "top", "bottom-right"],
  ["spire-server", "spire-agent", "SVIDs", "right", "left"],
  ["spire-agent", "csi", "Workload API", "right", "left"],
  ["csi", "envoy", "SVID via SDS", "top", "bottom"],
];

function anchor(id: string, side: Side): { x: number; y: number } {
  const box = LAYOUT[id];
  if (!box) return { x: 0, y: 0 };
  if (side === "right") return { x: box.x + box.width, y: box.y + NODE_HEIGHT / 2 };
  if (side === "left") return { x: box.x, y: box.y + NODE_HEIGHT / 2 };
  if (side === "top") return { x: box.x + box.width / 2, y: box.y };
  if (side === "bottom-right") return { x: box.x + box.width * 0.8, y: box.y + NODE_HEIGHT };
  return { x: box.x + box.width / 2, y: box.y + NODE_HEIGHT };
}

export function verdictClass(verdict: Verdict | undefined): string {
  return `v-${verdict ?? "none"}`;
}

/** The terminal's skip symbol (U+23ED) is missing from many fonts, so the page uses a Latin-1 one. */
const PAGE_SYMBOLS: Record<Verdict, string> = { ...VERDICT_SYMBOLS, skip: "»" };

export function verdictLabel(verdict: Verdict | undefined): string {
  return verdict ? `${PAGE_SYMBOLS[verdict]} ${verdict}` : "no check";
}

function renderNode(resolved: ResolvedHop): SafeHtml {
  const box = LAYOUT[resolved.hop.id];
  if (!box) return html``;
  const centre = box.x + box.width / 2;
  const tooltip = resolved.checks.map((item) => `${item.id} ${item.verdict}`).join(", ") || "no check covers this hop";
  return html`<g class="hop ${verdictClass(resolved.verdict)}" data-hop="${resolved.hop.id}">
<title>${resolved.hop.label}: ${tooltip}</title>
<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${NODE_HEIGHT}" rx="8"/>
<text x="${centre}" y="${box.y + 22}" class="hop-label">${resolved.hop.label}</text>
<text x="${centre}" y="${box.y + 39}" class="hop-detail">${resolved.hop.detail ?? ""}</text>
<text x="${centre}" y="${box.y + 56}" class="hop-verdict">${verdictLabel(resolved.verdict)}</text>
</g>`;
}

function renderEdge([from, to, label, fromSide, toSide]: (typeof EDGES)[number]): SafeHtml {
  const start = anchor(from, fromSide);
  const end = anchor(to, toSide);
  const labelX = (start.x + end.x) / 2 + (fromSide === "top" ? 8 : 0);
  const labelY = fromSide === "top" ? (start.y + end.y) / 2 : Math.min(start.y, end.y) - 6;
  const anchorAttr = fromSide === "top" ? "start" : "middle";
  return html`<line x1="${start.x}" y1="${start.y}" x2="${end.x}" y2="${end.y}" class="edge" marker-end="url(#arrow)"/>
${label ? html`<text x="${labelX}" y="${labelY}" class="edge-label" text-anchor="${anchorAttr}">${label}</text>` : ""}`;
}

/**
 * Renders the request and identity flow as inline SVG, each hop coloured by its verdict, followed by a
 * table of the hops with the checks behind each, so the diagram also reads without colour.
 */
export function renderFlow(result: RunResult, flow: FlowOptions = DEFAULT_FLOW): SafeHtml {
  const resolved = flow.hops.map((hop) => resolveHop(hop, result));
  const drawn = resolved.filter((item) => item.hop.id in LAYOUT);
  const drawnIds = new Set(drawn.map((item) => item.hop.id));
  const edges = EDGES.filter(([from, to]) => drawnIds.has(from) && drawnIds.has(to));
  const pod = POD_BOX;

  const rows = resolved.map(
    (item) => html`<tr class="${verdictClass(item.verdict)}">
<th scope="row">${item.hop.label}</th>
<td><span class="badge ${verdictClass(item.verdict)}">${verdictLabel(item.verdict)}</span></td>
<td>${item.checks.map((check, index) => html`${index > 0 ? ", " : ""}<a href="#${checkAnchor(check.id)}">${check.id}</a>`)}${
      item.matchedBy === "categories" ? html` <span class="muted">(by category)</span>` : ""
    }</td>
</tr>`,
  );

  return html`<section class="flow" aria-labelledby="flow-heading">
<h2 id="flow-heading">Request and identity flow</h2>
<p class="scroll-hint">Scroll sideways to see the whole flow; the table below lists every hop.</p>
<div class="flow-scroll">
<svg viewBox="0 0 1140 400" role="img" aria-labelledby="flow-title" xmlns="http://www.w3.org/2000/svg">
<title id="flow-title">Public request through ingress-nginx to a meshed pod's Envoy sidecar and app, its dependencies, istiod configuring the sidecar and SPIRE delivering its identity</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-head"/></marker></defs>
<rect x="${pod.x}" y="${pod.y}" width="${pod.width}" height="${pod.height}" rx="12" class="pod-box"/>
<text x="${pod.x + 12}" y="${pod.y + 18}" class="pod-label">meshed app pod</text>
${edges.map(renderEdge)}
${drawn.map(renderNode)}
</svg>
</div>
<table class="hops">
<thead><tr><th scope="col">Hop</th><th scope="col">Verdict</th><th scope="col">Checks</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</section>`;
}

/** Returns the HTML id of a check's section. Check ids are `MP-AREA-NN`, and any other character becomes `-`. */
export function checkAnchor(id: string): string {
  return `check-${id.replace(/[^A-Za-z0-9_-]/g, "-")}`;
}
