import { dump } from "js-yaml";
import { maskCredentials } from "../collect/redact.js";
import type { KubeObject } from "../model/kube.js";
import type { Evidence } from "./types.js";

/** Evidence read from objects, with credentials masked. */
export function objectEvidence(command: string, output: string): Evidence {
  return { command, output: maskCredentials(output), source: "objects" };
}

/** `kubectl -n NS get KIND NAME ...` with the namespace flag only for namespaced objects. */
export function kubectlGet(kind: string, name: string | undefined, namespace: string | undefined, extra = ""): string {
  const ns = namespace ? `-n ${namespace} ` : "";
  const target = name ? `${kind.toLowerCase()} ${name}` : kind.toLowerCase();
  return `kubectl ${ns}get ${target}${extra ? ` ${extra}` : ""}`.trim();
}

/** Fixed-width rows, as kubectl prints tables. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)));
  const format = (row: string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("   ")
      .trimEnd();
  return [format(header), ...rows.map(format)].join("\n");
}

/** YAML of selected fields of an object, for an excerpt that shows only what the check read. */
export function yamlExcerpt(value: unknown): string {
  return dump(value, { lineWidth: 160, noRefs: true }).trimEnd();
}

/** `kind namespace/name` lines of objects, for a compact listing. */
export function listing(objects: KubeObject[]): string {
  return objects
    .map(
      (object) =>
        `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata.name}`,
    )
    .join("\n");
}

/** Age in days between two times, one decimal. */
export function daysBetween(from: Date, to: Date): number {
  return Math.round(((to.getTime() - from.getTime()) / 86_400_000) * 10) / 10;
}
