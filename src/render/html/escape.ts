import { escapeControlCharacters } from "../common.js";

/** Markup that is already safe: produced by `html` or explicitly trusted with `raw`. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Trusts `value` as markup. Never pass it a string that came from the cluster or the plan. */
export function raw(value: string): SafeHtml {
  return new SafeHtml(value);
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escapes text for element content and for quoted attribute values; unquoted attributes are never safe.
 * Control and bidirectional-override characters become visible `\xNN` escapes, as in the terminal report.
 */
export function escapeHtml(value: string): string {
  return escapeControlCharacters(value).replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

/** A value the template accepts: arrays are joined, and null, undefined and false render nothing. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/** Tagged template that escapes every interpolated value, so text, attributes and nested templates are safe. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? "");
  });
  return new SafeHtml(out);
}
