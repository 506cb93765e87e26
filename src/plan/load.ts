import { readFile } from "node:fs/promises";
import { load } from "js-yaml";
import type { z } from "zod";
import { InputError, UserError } from "../errors.js";
import { planSchema, type RolloutPlan } from "./schema.js";

/**
 * Reads and validates a rollout plan file. Every problem is collected and reported at once, each
 * with its line and field, so a user fixes the file in one pass.
 */
export async function loadPlan(file: string): Promise<RolloutPlan> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new UserError(`plan file not found: ${file}. Pass the path of a RolloutPlan YAML file.`);
    throw new UserError(`cannot read plan file ${file}: ${(error as Error).message}`);
  }
  return parsePlan(text, file);
}

export function parsePlan(text: string, file: string): RolloutPlan {
  let document: unknown;
  try {
    document = load(text);
  } catch (error) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    const reason = (error as { reason?: string }).reason ?? (error as Error).message;
    throw new InputError(file, `invalid YAML: ${reason}. Fix the plan file and run again.`, {
      line: mark ? mark.line + 1 : undefined,
      column: mark ? mark.column + 1 : undefined,
    });
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw new InputError(
      file,
      "a plan must be one YAML mapping with apiVersion meshproof.dev/v1alpha1 and kind RolloutPlan.",
    );
  }

  const result = planSchema.safeParse(document);
  if (result.success) return result.data;

  const { detail, line } = describeIssues(result.error.issues, text);
  throw new InputError(
    file,
    `invalid rollout plan: ${detail}. See schema/rollout-plan.schema.json for the fields a plan takes.`,
    { line },
  );
}

/** Finds the line of an issue; for an unknown field, the line of that field rather than its parent. */
function locateIssue(issue: z.core.$ZodIssue, text: string): number | undefined {
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) {
    return locatePath(text, [...issue.path, issue.keys[0]]) ?? locatePath(text, issue.path);
  }
  return locatePath(text, issue.path);
}

function describeIssue(issue: z.core.$ZodIssue, text: string): string {
  const path = formatPath(issue.path);
  const line = locateIssue(issue, text);
  const where = line ? `line ${line}, ` : "";
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((key) => `"${key}"`).join(", ");
    const at = issue.path.length ? ` in ${path}` : "";
    const noun = issue.keys.length === 1 ? "field" : "fields";
    return `${where}unknown ${noun} ${keys}${at} (check the spelling)`;
  }
  const missing = /^Invalid input: expected (\w+), received undefined$/.exec(issue.message);
  if (issue.code === "invalid_type" && missing)
    return `${where}required field ${path} is missing (expected ${missing[1]})`;
  return `${where}field ${path || "(root)"}: ${issue.message}`;
}

/** Describes validation problems of a YAML document, each with its line, joined into one sentence. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], text: string): { detail: string; line?: number } {
  const first = issues[0];
  return {
    detail: issues.map((issue) => describeIssue(issue, text)).join("; "),
    line: first ? locateIssue(first, text) : undefined,
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

/**
 * Finds the 1-based line of a field path in block-style YAML by following indentation. Returns the
 * deepest line found, or undefined when even the first key is not found (flow style, anchors).
 */
export function locatePath(text: string, path: readonly PropertyKey[]): number | undefined {
  const lines = text.split("\n");
  let start = 0;
  let end = lines.length;
  let parentIndent = -1;
  let found: number | undefined;

  for (const segment of path) {
    let match = -1;
    if (typeof segment === "number") {
      let count = -1;
      let itemIndent = -1;
      for (let index = start; index < end; index++) {
        const line = lines[index] ?? "";
        const item = /^(\s*)- /.exec(line);
        if (!item || isBlankOrComment(line)) continue;
        const indent = item[1]?.length ?? 0;
        if (indent <= parentIndent && itemIndent === -1 && indent < parentIndent) break;
        if (itemIndent === -1) itemIndent = indent;
        if (indent !== itemIndent) continue;
        count++;
        if (count === segment) {
          match = index;
          parentIndent = indent;
          break;
        }
      }
    } else {
      const key = String(segment).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const pattern = new RegExp(`^(\\s*(?:- )?)${key}\\s*:`);
      for (let index = start; index < end; index++) {
        const line = lines[index] ?? "";
        const keyMatch = pattern.exec(line);
        if (keyMatch && (keyMatch[1]?.length ?? 0) > parentIndent) {
          match = index;
          parentIndent = keyMatch[1]?.length ?? 0;
          break;
        }
      }
    }
    if (match === -1) break;
    found = match + 1;
    start = typeof segment === "number" ? match : match + 1;
    end = blockEnd(lines, match, parentIndent, typeof segment === "number");
  }
  return found;
}

/**
 * Finds where the block that starts at line `from` ends. A list item ends at the next line indented
 * no deeper than its dash. A mapping key ends at the next line indented no deeper than the key, except
 * for list items at the key's own indent, which YAML allows as the key's value.
 */
function blockEnd(lines: string[], from: number, indent: number, listItem: boolean): number {
  for (let index = from + 1; index < lines.length; index++) {
    const line = lines[index] ?? "";
    if (isBlankOrComment(line)) continue;
    const lineIndent = /^(\s*)/.exec(line)?.[1]?.length ?? 0;
    if (lineIndent < indent) return index;
    if (lineIndent === indent && (listItem || !/^\s*- /.test(line))) return index;
  }
  return lines.length;
}

function isBlankOrComment(line: string): boolean {
  return /^\s*(#.*)?$/.test(line);
}
