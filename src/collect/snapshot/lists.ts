/**
 * Kubernetes lists as `kubectl get -o yaml|json` and `kubectl cluster-info dump` write them. The
 * dump's files (nodes.json, and pods.json, services.json and so on per namespace folder) are typed
 * lists such as `PodList` whose items carry neither kind nor apiVersion, so items take them from
 * the list.
 */

export type KubeList = { kind: string; apiVersion?: unknown; items: unknown[] };

/** True for `kind: List` and any `*List` kind with an `items` array; a custom kind ending in List without items is an object. */
export function isKubeList(document: Record<string, unknown>): document is KubeList {
  return typeof document.kind === "string" && document.kind.endsWith("List") && Array.isArray(document.items);
}

/**
 * Returns the kind and apiVersion an item of the list gets when it lacks them: `PodList` gives
 * `Pod`, while a generic `List` gives no kind because its items may be of any kind.
 */
export function listItemDefaults(list: KubeList): { kind?: string; apiVersion?: string } {
  const itemKind = list.kind.slice(0, -"List".length);
  const apiVersion = typeof list.apiVersion === "string" && list.apiVersion !== "" ? list.apiVersion : undefined;
  return { kind: itemKind === "" ? undefined : itemKind, apiVersion };
}
