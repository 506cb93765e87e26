import type { RunResult } from "../run/result.js";

/**
 * Renders the run result as indented JSON, the document that schema/run-result.schema.json describes.
 * The trailing newline lets the CLI write every format the same way.
 */
export function renderJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}
