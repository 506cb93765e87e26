/**
 * The kinds meshproof reads, with the API paths a live run lists them from. The snapshot reader
 * accepts any kind, but checks only read these. Secrets are deliberately absent: meshproof never
 * reads them.
 */
export interface CollectedKind {
  kind: string;
  group: string;
  /** Versions to try, preferred first; a live run uses the first one the server serves. */
  versions: string[];
  plural: string;
  namespaced: boolean;
  /** Label selector that narrows a live list, when the checks only need some objects of the kind. */
  labelSelector?: string;
  /** Istio or SPIRE CRDs may be missing; that makes the checks that need them unknown. */
  optional?: boolean;
}

export const COLLECTED_KINDS: readonly CollectedKind[] = [
  { kind: "Namespace", group: "", versions: ["v1"], plural: "namespaces", namespaced: false },
  { kind: "Node", group: "", versions: ["v1"], plural: "nodes", namespaced: false },
  { kind: "Pod", group: "", versions: ["v1"], plural: "pods", namespaced: true },
  { kind: "Service", group: "", versions: ["v1"], plural: "services", namespaced: true },
  { kind: "ServiceAccount", group: "", versions: ["v1"], plural: "serviceaccounts", namespaced: true },
  { kind: "ConfigMap", group: "", versions: ["v1"], plural: "configmaps", namespaced: true },
  { kind: "Deployment", group: "apps", versions: ["v1"], plural: "deployments", namespaced: true },
  { kind: "ReplicaSet", group: "apps", versions: ["v1"], plural: "replicasets", namespaced: true },
  { kind: "StatefulSet", group: "apps", versions: ["v1"], plural: "statefulsets", namespaced: true },
  { kind: "DaemonSet", group: "apps", versions: ["v1"], plural: "daemonsets", namespaced: true },
  { kind: "Job", group: "batch", versions: ["v1"], plural: "jobs", namespaced: true },
  { kind: "CronJob", group: "batch", versions: ["v1"], plural: "cronjobs", namespaced: true },
  { kind: "Ingress", group: "networking.k8s.io", versions: ["v1"], plural: "ingresses", namespaced: true },
  {
    kind: "MutatingWebhookConfiguration",
    group: "admissionregistration.k8s.io",
    versions: ["v1"],
    plural: "mutatingwebhookconfigurations",
    namespaced: false,
  },
  { kind: "CSIDriver", group: "storage.k8s.io", versions: ["v1"], plural: "csidrivers", namespaced: false },
  {
    kind: "PeerAuthentication",
    group: "security.istio.io",
    versions: ["v1", "v1beta1"],
    plural: "peerauthentications",
    namespaced: true,
    optional: true,
  },
  {
    kind: "AuthorizationPolicy",
    group: "security.istio.io",
    versions: ["v1", "v1beta1"],
    plural: "authorizationpolicies",
    namespaced: true,
    optional: true,
  },
  {
    kind: "DestinationRule",
    group: "networking.istio.io",
    versions: ["v1", "v1beta1", "v1alpha3"],
    plural: "destinationrules",
    namespaced: true,
    optional: true,
  },
  {
    kind: "ServiceEntry",
    group: "networking.istio.io",
    versions: ["v1", "v1beta1", "v1alpha3"],
    plural: "serviceentries",
    namespaced: true,
    optional: true,
  },
  {
    kind: "Sidecar",
    group: "networking.istio.io",
    versions: ["v1", "v1beta1", "v1alpha3"],
    plural: "sidecars",
    namespaced: true,
    optional: true,
  },
  {
    kind: "ClusterSPIFFEID",
    group: "spire.spiffe.io",
    versions: ["v1alpha1"],
    plural: "clusterspiffeids",
    namespaced: false,
    optional: true,
  },
  {
    kind: "ServiceMonitor",
    group: "monitoring.coreos.com",
    versions: ["v1"],
    plural: "servicemonitors",
    namespaced: true,
    optional: true,
  },
  {
    kind: "PodMonitor",
    group: "monitoring.coreos.com",
    versions: ["v1"],
    plural: "podmonitors",
    namespaced: true,
    optional: true,
  },
  {
    kind: "SecretStore",
    group: "external-secrets.io",
    versions: ["v1", "v1beta1"],
    plural: "secretstores",
    namespaced: true,
    optional: true,
  },
  {
    kind: "ClusterSecretStore",
    group: "external-secrets.io",
    versions: ["v1", "v1beta1"],
    plural: "clustersecretstores",
    namespaced: false,
    optional: true,
  },
];

/** `plural` for core kinds, `plural.group` otherwise: the resource name RBAC rules and issues use. */
export function resourceName(kind: CollectedKind): string {
  return kind.group === "" ? kind.plural : `${kind.plural}.${kind.group}`;
}

export function collectedKindOf(kind: string): CollectedKind | undefined {
  return COLLECTED_KINDS.find((candidate) => candidate.kind === kind);
}
