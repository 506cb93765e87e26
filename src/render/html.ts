import { createHash } from "node:crypto";
import type { RunResult } from "../run/result.js";
import { groupChecksByCategory } from "./common.js";
import { html, raw } from "./html/escape.js";
import { DEFAULT_FLOW, type FlowOptions, renderFlow } from "./html/flow.js";
import { renderBanner, renderCategory, renderContents, renderInput, renderSummaryGroups } from "./html/sections.js";
import { REPORT_CSS } from "./html/styles.js";

export type { FlowHop, FlowOptions } from "./html/flow.js";

export interface HtmlRenderOptions {
  /**
   * Mapping from checks to the hops of the flow diagram, which takes each hop's colour from its checks.
   * @default DEFAULT_FLOW, which falls back to check categories when none of its check ids ran
   */
  flow?: FlowOptions;
  /**
   * Maximum lines of captured output shown per evidence item.
   * @default 200
   */
  evidenceLines?: number;
}

/**
 * Opens every <details> before printing, for browsers whose print stylesheet cannot reach the
 * collapsed content. It is the page's only script, allowed by its hash in the Content-Security-Policy.
 */
const PRINT_SCRIPT =
  'addEventListener("beforeprint",()=>{for(const d of document.querySelectorAll("details"))d.open=true});';
const PRINT_SCRIPT_HASH = createHash("sha256").update(PRINT_SCRIPT).digest("base64");

/**
 * The policy forbids every fetch (no network, no external images, fonts or frames) and every script
 * except the print helper, so even a string that escaped escaping could not run or phone home.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${PRINT_SCRIPT_HASH}'`,
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/**
 * Renders the report as one self-contained HTML file: inline CSS and SVG, no external resources, and
 * every string from the cluster or the plan escaped.
 */
export function renderHtml(result: RunResult, options: HtmlRenderOptions = {}): string {
  const groups = groupChecksByCategory(result);
  const evidenceLines = options.evidenceLines ?? 200;
  const title = `meshproof report: ${result.cluster.name ?? result.cluster.source}`;

  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="meshproof ${result.tool.version}">
<meta name="color-scheme" content="light">
<title>${title}</title>
<style>${raw(REPORT_CSS)}</style>
<script>${raw(PRINT_SCRIPT)}</script>
</head>
<body>
<main>
${renderBanner(result)}
${renderContents(groups)}
${renderFlow(result, options.flow ?? DEFAULT_FLOW)}
${groups.map((group) => renderCategory(group, evidenceLines))}
${renderSummaryGroups(result)}
${renderInput(result)}
<footer>Generated ${result.generatedAt} by meshproof ${result.tool.version} (${result.format}).</footer>
</main>
</body>
</html>
`;
  return page.value;
}
