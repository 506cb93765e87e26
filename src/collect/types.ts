import type { KubeObject } from "../model/kube.js";

/** Version tag of the snapshot document written by `meshproof snapshot` and read back by `verify`. */
export const SNAPSHOT_FORMAT = "meshproof.dev/snapshot/v1";

/** Reason a piece of cluster data could not be read. Collection errors are data, never exceptions. */
export type CollectionFailureReason =
  | "forbidden"
  | "not-found"
  | "timeout"
  | "unreachable"
  | "server-error"
  | "throttled"
  | "connection-dropped"
  | "invalid-response";

/** A resource or live endpoint that could not be read, so checks that need it become unknown. */
export interface CollectionIssue {
  /** Source that was being read: a resource (`pods`, `peerauthentications.security.istio.io`) or an evidence source (`spire-server`, `envoy-admin`). */
  resource: string;
  namespace?: string;
  reason: CollectionFailureReason;
  message: string;
  /** The RBAC permission that was missing, written `verb resource` (for example `list pods`). */
  permission?: string;
}

interface EvidenceBase {
  /** Stable id, for example `probe:mdm-kernel-public` or `certs:sre/mdm-kernel-7d9f-abcde`. */
  id: string;
  /** The equivalent command a person would run. */
  command: string;
  /** Raw output as captured (credentials masked). */
  output: string;
  /** ISO time the item was captured. */
  at: string;
  durationMs: number;
  attempts: number;
  /** Set when the item could not be collected. */
  error?: { reason: CollectionFailureReason; message: string; permission?: string };
}

export interface HttpProbeEvidence extends EvidenceBase {
  type: "http-probe";
  probe: string;
  method: string;
  url: string;
  expectedStatus: number;
  status?: number;
  latencyMs?: number;
  /** Response headers that show the request path, such as `server` or `x-envoy-upstream-service-time`. */
  headers: Record<string, string>;
}

export interface SpireCliEvidence extends EvidenceBase {
  type: "spire-cli";
  pod: string;
  namespace: string;
  /** The spire-server subcommand and its arguments, e.g. `["agent", "list", "-output", "json"]`. */
  args: string[];
  exitCode?: number;
  stdout: string;
  stderr: string;
}

export interface IstiodMeshEvidence extends EvidenceBase {
  type: "istiod-debug-mesh";
  pod: string;
  namespace: string;
  /** The effective MeshConfig as JSON, parsed from `/debug/mesh`. */
  mesh?: Record<string, unknown>;
}

/** One certificate parsed from an Envoy chain. Never contains key material. */
export interface ParsedCertificate {
  subject: string;
  issuer: string;
  serialNumber: string;
  validFrom: string;
  validTo: string;
  uriSans: string[];
  isCa: boolean;
  fingerprint256: string;
}

export interface ServedCertificateEvidence extends EvidenceBase {
  type: "served-certificate";
  pod: string;
  namespace: string;
  /** `Kind namespace/name` of the workload this pod stands for. */
  workload: string;
  /** Certificate chain, leaf first, in the order of Envoy's `default` secret. */
  chain: ParsedCertificate[];
  /** The `ROOTCA` validation context kind: SPIFFE validator (SPIRE) or trusted_ca (istiod). */
  validationContext?: "spiffe-validator" | "trusted-ca" | "none";
  trustDomains?: string[];
}

/** One sample of an instant query: the series labels and the value at evaluation time. */
export interface PrometheusSample {
  labels: Record<string, string>;
  value: number;
}

/** The result of one PromQL instant query against the Prometheus HTTP API (`GET /api/v1/query`). */
export interface PrometheusEvidence extends EvidenceBase {
  type: "prometheus-query";
  /** Base URL of the Prometheus server, credentials masked. */
  url: string;
  /** What the query measures, e.g. `requests` or `tcp-connections`; checks find queries by it. */
  purpose: string;
  /** The metric the query reads, e.g. `istio_requests_total`. */
  metric: string;
  query: string;
  /** Range of the query's `increase()`, a Prometheus duration such as `24h`. */
  window: string;
  /** ISO time the query was evaluated at: the end of the window. */
  evaluatedAt: string;
  samples: PrometheusSample[];
}

export type LiveEvidence =
  | HttpProbeEvidence
  | SpireCliEvidence
  | IstiodMeshEvidence
  | ServedCertificateEvidence
  | PrometheusEvidence;

/** A document skipped while reading input, with where it was. */
export interface SkippedDocument {
  file: string;
  line?: number;
  reason: string;
}

export interface DuplicateObject {
  subject: string;
  firstFile: string;
  keptFile: string;
}

/** Summary of the reader's input, reported so a user can trust or question the run. */
export interface InputReport {
  files: string[];
  objectsByKind: Record<string, number>;
  secretsDropped: number;
  skippedDocuments: SkippedDocument[];
  duplicates: DuplicateObject[];
  warnings: string[];
}

export type CaptureTimeSource = "snapshot-file" | "newest-object-timestamp" | "plan" | "live-clock";

/**
 * Everything seen of one cluster: the objects (never Secrets), the live evidence and what could not
 * be read. This is the saved snapshot document and the only input of the cluster model, so a live
 * run and a re-run on its snapshot give the same verdicts.
 */
export interface CollectedState {
  format: typeof SNAPSHOT_FORMAT;
  source: {
    type: "files" | "snapshot" | "live";
    /** Path, or `context (server)` for live runs. */
    description: string;
  };
  capturedAt?: string;
  capturedAtSource?: CaptureTimeSource;
  kubernetesVersion?: { gitVersion: string; source: "version-endpoint" | "node-kubelet" };
  /** True when live evidence collection ran; otherwise live-only checks report skip. */
  live: boolean;
  objects: KubeObject[];
  evidence: LiveEvidence[];
  collectionIssues: CollectionIssue[];
  input: InputReport;
}

export function emptyInputReport(): InputReport {
  return { files: [], objectsByKind: {}, secretsDropped: 0, skippedDocuments: [], duplicates: [], warnings: [] };
}
