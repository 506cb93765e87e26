import { load } from "js-yaml";
import type { KubeObject } from "./kube.js";

/** The MeshConfig fields checks read, with Istio 1.23 defaults filled in and where each value came from. */
export interface MeshConfigView {
  /** Subject of the ConfigMap the values came from; absent when none was found. */
  source?: string;
  trustDomain: string;
  trustDomainAliases: string[];
  rootNamespace: string;
  enableAutoMtls: boolean;
  outboundTrafficPolicy: "ALLOW_ANY" | "REGISTRY_ONLY";
  accessLogFile?: string;
  /** The `mesh` key text, for evidence. */
  raw?: string;
  /** A problem reading the ConfigMap, such as invalid YAML. */
  error?: string;
  /** Fields that were absent and took their default. */
  defaulted: string[];
}

/**
 * Reads MeshConfig from ConfigMap `istio` (or `istio-<revision>`) key `mesh`. Istio's defaults apply
 * to absent fields: trust domain cluster.local, root namespace = the Istio namespace, auto mTLS on,
 * outbound ALLOW_ANY.
 */
export function readMeshConfig(configMaps: KubeObject[], istioNamespace: string, revision: string): MeshConfigView {
  const names = revision === "default" ? ["istio"] : [`istio-${revision}`, "istio"];
  const configMap = names
    .map((name) => configMaps.find((cm) => cm.metadata.namespace === istioNamespace && cm.metadata.name === name))
    .find((cm) => cm !== undefined);

  const defaults: MeshConfigView = {
    trustDomain: "cluster.local",
    trustDomainAliases: [],
    rootNamespace: istioNamespace,
    enableAutoMtls: true,
    outboundTrafficPolicy: "ALLOW_ANY",
    defaulted: ["trustDomain", "rootNamespace", "enableAutoMtls", "outboundTrafficPolicy"],
  };
  if (!configMap) return defaults;

  const source = `ConfigMap ${configMap.metadata.namespace}/${configMap.metadata.name}`;
  const raw = configMap.data?.mesh;
  if (raw === undefined) return { ...defaults, source, error: `${source} has no key "mesh"` };

  let parsed: Record<string, unknown>;
  try {
    parsed = (load(raw) ?? {}) as Record<string, unknown>;
  } catch (error) {
    return { ...defaults, source, raw, error: `${source} key "mesh" is not valid YAML: ${(error as Error).message}` };
  }
  return meshConfigFromObject(parsed, istioNamespace, source, raw);
}

export function meshConfigFromObject(
  mesh: Record<string, unknown>,
  istioNamespace: string,
  source: string,
  raw?: string,
): MeshConfigView {
  const defaulted: string[] = [];
  const pick = <T>(field: string, fallback: T, valid: (value: unknown) => boolean): T => {
    const value = mesh[field];
    if (value === undefined || value === null || !valid(value)) {
      defaulted.push(field);
      return fallback;
    }
    return value as T;
  };
  const outbound = mesh.outboundTrafficPolicy as { mode?: string } | undefined;
  if (outbound?.mode === undefined) defaulted.push("outboundTrafficPolicy");
  return {
    source,
    raw,
    trustDomain: pick("trustDomain", "cluster.local", (value) => typeof value === "string" && value !== ""),
    trustDomainAliases: pick("trustDomainAliases", [], Array.isArray),
    rootNamespace: pick("rootNamespace", istioNamespace, (value) => typeof value === "string" && value !== ""),
    enableAutoMtls: pick("enableAutoMtls", true, (value) => typeof value === "boolean"),
    outboundTrafficPolicy: outbound?.mode === "REGISTRY_ONLY" ? "REGISTRY_ONLY" : "ALLOW_ANY",
    accessLogFile: typeof mesh.accessLogFile === "string" ? mesh.accessLogFile : undefined,
    defaulted,
  };
}
