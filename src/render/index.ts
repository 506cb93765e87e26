import type { RunResult } from "../run/result.js";
import type { HtmlRenderOptions } from "./html.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { type MarkdownRenderOptions, renderMarkdown } from "./markdown.js";
import { renderShort } from "./short.js";
import { renderText, type TextRenderOptions } from "./text.js";

export type { FlowHop, FlowOptions, HtmlRenderOptions } from "./html.js";
export type { MarkdownRenderOptions } from "./markdown.js";
export type { TextRenderOptions } from "./text.js";

export const REPORT_FORMATS = ["text", "short", "json", "markdown", "junit", "html"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** Options of every format; each renderer reads only its own. */
export type RenderOptions = TextRenderOptions & MarkdownRenderOptions & HtmlRenderOptions;

/**
 * Renders `result` in `format`. The HTML renderer is imported on demand, so commands that print text
 * do not load it.
 */
export async function renderReport(
  result: RunResult,
  format: ReportFormat,
  options: RenderOptions = {},
): Promise<string> {
  switch (format) {
    case "text":
      return renderText(result, options);
    case "short":
      return renderShort(result, options);
    case "json":
      return renderJson(result);
    case "markdown":
      return renderMarkdown(result, options);
    case "junit":
      return renderJunit(result);
    case "html": {
      const { renderHtml } = await import("./html.js");
      return renderHtml(result, options);
    }
  }
}
