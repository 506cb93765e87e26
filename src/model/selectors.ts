import type { LabelSelector } from "./kube.js";

/**
 * Tests whether labels satisfy a Kubernetes label selector. An empty selector matches everything,
 * as in the API, so callers that treat "no selector" differently must check for it themselves.
 */
export function matchesSelector(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return true;
  const actual = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (actual[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(actual, expression.key);
    const value = actual[expression.key];
    const values = expression.values ?? [];
    switch (expression.operator) {
      case "In":
        if (!present || !values.includes(value as string)) return false;
        break;
      case "NotIn":
        if (present && values.includes(value as string)) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
      default:
        // An operator the API does not define never matches, as the API server would reject it.
        return false;
    }
  }
  return true;
}

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  if (!selector) return true;
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

export function formatSelector(selector: LabelSelector | undefined): string {
  if (!selector) return "(none)";
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector.matchExpressions ?? []) {
    const values = expression.values?.length ? ` (${expression.values.join(",")})` : "";
    parts.push(`${expression.key} ${expression.operator}${values}`);
  }
  return parts.length ? parts.join(",") : "(empty: matches everything)";
}
