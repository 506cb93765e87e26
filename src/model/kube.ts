/**
 * Kubernetes object shapes, limited to the fields meshproof reads. Every field is optional
 * because snapshots come from many tools and versions; readers check presence before use.
 */

export interface OwnerReference {
  apiVersion?: string;
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  generation?: number;
  ownerReferences?: OwnerReference[];
  managedFields?: Array<{ manager?: string; operation?: string; time?: string; fieldsV1?: unknown }>;
  resourceVersion?: string;
}

/** Any Kubernetes object. Kind-specific readers narrow `spec`, `status` and `data`. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: objects are schemaless until a reader narrows them
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: see spec
  status?: any;
  data?: Record<string, string>;
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name?: string; key?: string; optional?: boolean };
    configMapKeyRef?: { name?: string; key?: string; optional?: boolean };
    fieldRef?: { fieldPath?: string };
    resourceFieldRef?: unknown;
  };
}

export interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string };
  tcpSocket?: { port?: number | string };
  grpc?: { port?: number };
  exec?: { command?: string[] };
  [field: string]: unknown;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

export interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name?: string }; secretRef?: { name?: string } }>;
  ports?: ContainerPort[];
  args?: string[];
  command?: string[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface Volume {
  name: string;
  csi?: { driver?: string; readOnly?: boolean };
  emptyDir?: unknown;
  configMap?: { name?: string };
  secret?: { secretName?: string };
  [field: string]: unknown;
}

export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
  serviceAccount?: string;
  nodeName?: string;
  hostNetwork?: boolean;
  volumes?: Volume[];
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { reason?: string; exitCode?: number; startedAt?: string; finishedAt?: string; message?: string };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  image?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface PodStatus {
  phase?: string;
  conditions?: Array<{ type: string; status: string; lastTransitionTime?: string }>;
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
  startTime?: string;
  podIP?: string;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: PodStatus;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** `Kind namespace/name`, or `Kind name` for cluster-scoped objects: the subject form of findings. */
export function subjectOf(kind: string, namespace: string | undefined, name: string): string {
  return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

export function objectSubject(object: KubeObject): string {
  return subjectOf(object.kind, object.metadata.namespace, object.metadata.name);
}

/** API group of an apiVersion: `apps/v1` gives `apps`, `v1` gives the empty core group. */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? "" : apiVersion.slice(0, slash);
}

/** Identity of an object across versions of its API: group, kind, namespace and name. */
export function objectKey(object: KubeObject): string {
  return `${apiGroup(object.apiVersion)}/${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}
