import { load } from "js-yaml";
import type { KubeObject, Pod } from "./kube.js";

export interface SpireComponentRef {
  namespace?: string;
  name: string;
}

export interface SpireConfigSource {
  /** Subject of the object the value was read from. */
  subject: string;
  /** The config key, e.g. `server.conf`. */
  key: string;
  trustDomain?: string;
  /** The excerpt of the config that shows the value, for evidence. */
  excerpt: string;
}

export interface SpireView {
  server?: { workload: KubeObject; pods: Pod[] };
  agent?: { workload: KubeObject; pods: Pod[] };
  csiDriver?: { workload: KubeObject; pods: Pod[] };
  /** The `CSIDriver csi.spiffe.io` object exists. */
  csiDriverObject: boolean;
  /** Trust domains named in SPIRE server, agent and controller-manager configuration. */
  configs: SpireConfigSource[];
  clusterSpiffeIds: KubeObject[];
}

const TRUST_DOMAIN_HCL = /^\s*trust_domain\s*=\s*"([^"]*)"/m;

/** Reads `trust_domain = "..."` from SPIRE's HCL server or agent config, and `trustDomain` from the controller-manager's YAML. */
export function readSpireConfigs(configMaps: KubeObject[]): SpireConfigSource[] {
  const sources: SpireConfigSource[] = [];
  for (const configMap of configMaps) {
    for (const [key, value] of Object.entries(configMap.data ?? {})) {
      const subject = `ConfigMap ${configMap.metadata.namespace}/${configMap.metadata.name}`;
      if (/\.conf$/.test(key) && /\b(server|agent)\s*\{/.test(value)) {
        const match = TRUST_DOMAIN_HCL.exec(value);
        if (match) sources.push({ subject, key, trustDomain: match[1], excerpt: match[0].trim() });
      } else if (/controller-manager/.test(configMap.metadata.name) && /trustDomain\s*:/.test(value)) {
        const trustDomain = readYamlTrustDomain(value);
        if (trustDomain) sources.push({ subject, key, trustDomain, excerpt: `trustDomain: ${trustDomain}` });
      }
    }
  }
  return sources;
}

function readYamlTrustDomain(text: string): string | undefined {
  try {
    const parsed = load(text) as { trustDomain?: unknown } | undefined;
    return typeof parsed?.trustDomain === "string" ? parsed.trustDomain : undefined;
  } catch {
    return /trustDomain\s*:\s*"?([A-Za-z0-9._-]+)"?/.exec(text)?.[1];
  }
}

/**
 * Renders a ClusterSPIFFEID `spiffeIDTemplate` for a pod, supporting the fields Istio's ID form
 * needs. Returns undefined when the template uses anything else, so callers report it instead of
 * guessing.
 */
export function renderSpiffeIdTemplate(
  template: string,
  values: { trustDomain: string; namespace: string; serviceAccount: string; podName?: string },
): string | undefined {
  let unsupported = false;
  const rendered = template.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, expression: string) => {
    switch (expression) {
      case ".TrustDomain":
        return values.trustDomain;
      case ".PodMeta.Namespace":
        return values.namespace;
      case ".PodSpec.ServiceAccountName":
        return values.serviceAccount;
      case ".PodMeta.Name":
        return values.podName ?? "";
      default:
        unsupported = true;
        return "";
    }
  });
  return unsupported ? undefined : rendered;
}

/** The ID form Istio requires, written as a ClusterSPIFFEID template. */
export const ISTIO_SPIFFE_TEMPLATE =
  "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";
