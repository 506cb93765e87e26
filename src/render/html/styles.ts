/** The report's only stylesheet, inlined so the file opens anywhere without fetching anything. */
export const REPORT_CSS = `
:root {
  --text: #1b1f24; --muted: #59636e; --line: #d0d7de; --page: #ffffff; --panel: #f6f8fa;
  --pass: #1a7f37; --pass-bg: #e6f4ea; --warn: #9a6700; --warn-bg: #fff4d6;
  --fail: #c4262e; --fail-bg: #fde2e1; --info: #0b62b4; --info-bg: #e3f0fb;
  --unknown: #6f42c1; --unknown-bg: #efe6f7; --skip: #59636e; --skip-bg: #eef1f4;
  --waived: #0f6e6e; --waived-bg: #e0f2f1;
  --none: #8c959f; --none-bg: #f6f8fa;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--page); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin: 32px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
pre { margin: 0; padding: 10px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
a { color: var(--info); }
.muted { color: var(--muted); }
.source { color: var(--muted); margin: 0; overflow-wrap: anywhere; }

.banner { margin: 20px 0 8px; padding: 16px 18px; border-radius: 10px; border: 2px solid var(--line); background: var(--panel); }
.banner.v-fail, .banner.v-unknown { border-color: var(--fail); }
.banner.v-warn { border-color: var(--warn); }
.banner.v-pass { border-color: var(--pass); }
.state { font-size: 1.1rem; font-weight: 650; margin: 0 0 12px; overflow-wrap: anywhere; }
.state span { white-space: nowrap; }
@media (max-width: 640px) { .state span { white-space: normal; } }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); align-items: start; gap: 10px; margin: 0; }
.tile { background: var(--page); border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; margin: 0; }
.tile dt { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.tile dd { margin: 0; font-size: 1.2rem; font-weight: 650; overflow-wrap: anywhere; }
.tile.wide { grid-column: span 2; }
.tile.wide dd { font-size: 1rem; }
.tile dd.note { margin-top: 2px; font-size: 12px; font-weight: 400; color: var(--muted); }
.banner ul { margin: 4px 0 0; padding-left: 20px; }
.paused { margin: 12px 0 0; overflow-wrap: anywhere; }
.banner h2 { font-size: 1rem; border: 0; margin: 14px 0 0; padding: 0; }
.banner .counts { display: flex; flex-wrap: wrap; gap: 6px; margin: 12px 0 0; padding: 0; list-style: none; }
.gates { margin: 10px 0 0; overflow-wrap: anywhere; }

.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 650;
  border: 1px solid currentColor; white-space: nowrap; }
.v-pass { --v: var(--pass); --v-bg: var(--pass-bg); }
.v-warn { --v: var(--warn); --v-bg: var(--warn-bg); }
.v-fail { --v: var(--fail); --v-bg: var(--fail-bg); }
.v-info { --v: var(--info); --v-bg: var(--info-bg); }
.v-unknown { --v: var(--unknown); --v-bg: var(--unknown-bg); }
.v-skip { --v: var(--skip); --v-bg: var(--skip-bg); }
.v-waived { --v: var(--waived); --v-bg: var(--waived-bg); }
.v-none { --v: var(--none); --v-bg: var(--none-bg); }
.badge[class*="v-"] { color: var(--v); background: var(--v-bg); }

.flow-scroll { overflow-x: auto; border: 1px solid var(--line); border-radius: 10px; padding: 8px; }
.flow svg { display: block; width: 100%; min-width: 860px; height: auto; }
.flow .hop rect { fill: var(--v-bg); stroke: var(--v); stroke-width: 2; }
.flow .hop text { text-anchor: middle; fill: var(--text); }
.flow .hop-label { font-size: 14px; font-weight: 650; }
.flow .hop-detail { font-size: 11px; fill: var(--muted) !important; }
.flow .hop-verdict { font-size: 12px; font-weight: 650; fill: var(--v) !important; }
.flow .edge { stroke: var(--muted); stroke-width: 1.5; }
.flow .arrow-head { fill: var(--muted); }
.flow .edge-label { font-size: 11px; fill: var(--muted); }
.flow .scroll-hint { display: none; font-size: 13px; color: var(--muted); margin: 0 0 6px; }
.hops th[scope="row"] { overflow-wrap: break-word; min-width: 7.5em; }
.hops a { white-space: nowrap; }
.flow .pod-box { fill: none; stroke: var(--muted); stroke-dasharray: 5 4; }
.flow .pod-label { font-size: 11px; fill: var(--muted); }

table { border-collapse: collapse; width: 100%; margin: 10px 0 0; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
thead th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; white-space: nowrap; overflow-wrap: normal; }

.toc { display: flex; flex-wrap: wrap; gap: 6px 14px; padding: 0; margin: 12px 0 0; list-style: none; }
.category { scroll-margin-top: 12px; }
.check { border: 1px solid var(--line); border-left: 5px solid var(--v); border-radius: 8px; padding: 12px 14px; margin: 12px 0;
  scroll-margin-top: 12px; }
.check-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 10px; }
.check-id { color: var(--muted); }
.check p { margin: 8px 0 0; overflow-wrap: anywhere; }
.summary { font-weight: 550; overflow-wrap: anywhere; }
.finding-subject { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.trust { color: var(--muted); font-size: 13px; }
.waiver { color: var(--waived); font-size: 13px; }
.evidence { margin: 10px 0 0; }
.evidence h4 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); font-weight: 600; }
.evidence-item { margin: 0 0 8px; }
.evidence-item details { margin: 4px 0 0; }
.evidence-source { margin: 2px 0 0; font-size: 12px; color: var(--muted); }
.more { margin: 8px 0 0; }
.more > summary { font-size: 14px; }
summary { cursor: pointer; color: var(--muted); font-size: 13px; }
.output pre { margin-top: 4px; }
.remediation { background: var(--panel); border-radius: 6px; padding: 8px 10px; overflow-wrap: anywhere; }

.groups { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 12px; }
.group { border: 1px solid var(--line); border-top: 4px solid var(--v); border-radius: 8px; padding: 10px 14px; }
.group h3 { margin-bottom: 6px; }
.group ul { margin: 0; padding-left: 18px; }
.group li { overflow-wrap: anywhere; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }

@media (max-width: 640px) {
  main { padding: 16px 12px 32px; }
  h1 { font-size: 1.25rem; }
  .findings thead { display: none; }
  .findings tr { display: block; border-bottom: 1px solid var(--line); padding: 6px 0; }
  .findings td { display: block; border: 0; padding: 2px 0; }
  .flow .scroll-hint { display: block; }
  .findings td:empty { display: none; }
  .findings td[data-label]::before { content: attr(data-label) ": "; color: var(--muted); font-size: 12px; }
  .check { padding: 10px; }
}

@media print {
  :root { --page: #fff; --panel: #fff; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  *, *::before { background: none !important; box-shadow: none !important; }
  .flow .hop rect { fill: #fff !important; }
  .flow-scroll { overflow: visible; border: 0; }
  .flow svg { min-width: 0; }
  .flow .scroll-hint { display: none; }
  details::details-content { content-visibility: visible; display: contents; }
  details > summary { list-style: none; }
  details > summary::-webkit-details-marker { display: none; }
  .check, .group, .banner, tr { break-inside: avoid; }
  pre { border-color: #999; }
  a { color: inherit; text-decoration: none; }
}
`;
