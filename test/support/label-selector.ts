/**
 * Kubernetes label selector strings as the API server parses them in `?labelSelector=`: equality
 * (`a=b`, `a==b`), inequality (`a!=b`), set-based (`a in (x,y)`, `a notin (x,y)`) and existence
 * (`a`, `!a`), joined by commas.
 */

export type LabelRequirement =
  | { key: string; operator: "=" | "!="; value: string }
  | { key: string; operator: "in" | "notin"; values: string[] }
  | { key: string; operator: "exists" | "!exists" };

export class LabelSelectorError extends Error {}

const KEY = "[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?";
const VALUE = "([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?";
const keyPattern = new RegExp(`^${KEY}$`);
const valuePattern = new RegExp(`^${VALUE}$`);

/** Split on commas that are not inside a `( … )` value set. */
function splitRequirements(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of selector) {
    if (char === "(") depth += 1;
    if (char === ")") depth -= 1;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

function checkKey(key: string, selector: string): string {
  if (!keyPattern.test(key)) {
    throw new LabelSelectorError(`unable to parse requirement: invalid label key "${key}" in "${selector}"`);
  }
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!valuePattern.test(value)) {
    throw new LabelSelectorError(`unable to parse requirement: invalid label value "${value}" in "${selector}"`);
  }
  return value;
}

/** Parse a selector string; throws LabelSelectorError on invalid syntax. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  return splitRequirements(selector).map((part) => {
    const setMatch = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (setMatch) {
      const values = (setMatch[3] ?? "")
        .split(",")
        .map((value) => value.trim())
        .filter((value) => value !== "");
      return {
        key: checkKey(setMatch[1] ?? "", selector),
        operator: setMatch[2] as "in" | "notin",
        values: values.map((value) => checkValue(value, selector)),
      };
    }
    const inequality = /^([^!=\s]+)\s*!=\s*(\S*)$/.exec(part);
    if (inequality) {
      return {
        key: checkKey(inequality[1] ?? "", selector),
        operator: "!=",
        value: checkValue(inequality[2] ?? "", selector),
      };
    }
    const equality = /^([^!=\s]+)\s*==?\s*(\S*)$/.exec(part);
    if (equality) {
      return {
        key: checkKey(equality[1] ?? "", selector),
        operator: "=",
        value: checkValue(equality[2] ?? "", selector),
      };
    }
    if (part.startsWith("!")) {
      return { key: checkKey(part.slice(1).trim(), selector), operator: "!exists" };
    }
    return { key: checkKey(part, selector), operator: "exists" };
  });
}

/** Test labels against every requirement, with the API server's semantics for absent keys. */
export function matchesLabelSelector(
  requirements: readonly LabelRequirement[],
  labels: Record<string, string> = {},
): boolean {
  return requirements.every((requirement) => {
    const present = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    switch (requirement.operator) {
      case "=":
        return present && value === requirement.value;
      case "!=":
        return !present || value !== requirement.value;
      case "in":
        return present && requirement.values.includes(value ?? "");
      case "notin":
        return !present || !requirement.values.includes(value ?? "");
      case "exists":
        return present;
      case "!exists":
        return !present;
      default:
        return false;
    }
  });
}
