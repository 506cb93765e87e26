import { X509Certificate } from "node:crypto";
import type * as k8s from "@kubernetes/client-node";
import { type KubeObject, type Pod, subjectOf } from "../../model/kube.js";
import { maskCredentials } from "../redact.js";
import type { ParsedCertificate, ServedCertificateEvidence } from "../types.js";
import type { KubernetesClientModule } from "./client.js";
import { classifyError } from "./failures.js";
import { ENVOY_ADMIN_PORT, getThroughPortForward, PortForwardFailure } from "./port-forward.js";

/**
 * The certificate each sidecar actually serves, read from Envoy's admin API: the `default` secret's
 * chain from `/config_dump?resource=dynamic_active_secrets` and the `ROOTCA` validation context, plus
 * the `/certs` summary as raw output. Envoy redacts private keys in config dumps; this module reads
 * only the certificate chain and the validation context, and keeps parsed fields, never PEM.
 */

export const CONFIG_DUMP_PATH = "/config_dump?resource=dynamic_active_secrets";
export const CERTS_PATH = "/certs";

/** A SPIFFE ID as Istio and SPIRE issue it: a lowercase trust domain and plain path segments. */
const SPIFFE_ID = /^spiffe:\/\/[a-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;
const SPIFFE_VALIDATOR = "envoy.tls.cert_validator.spiffe";
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export class InvalidConfigDumpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidConfigDumpError";
  }
}

export interface SubjectAltName {
  type: string;
  value: string;
}

/**
 * Parse Node's `X509Certificate.subjectAltName` string, for example
 * `URI:spiffe://td/ns/a/sa/b, DNS:x`. Node quotes a value and escapes it as a JSON string when it
 * contains a separator, so `URI:"spiffe://a\u002c URI:spiffe://b"` is one crafted value, not two
 * names, and must stay one.
 */
export function parseSubjectAltName(text: string | undefined): SubjectAltName[] {
  const names: SubjectAltName[] = [];
  if (!text) return names;
  let position = 0;
  while (position < text.length) {
    const colon = text.indexOf(":", position);
    if (colon === -1) break;
    const type = text.slice(position, colon).trim();
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, end + 1)) as string;
      } catch {
        value = text.slice(colon + 2, end);
      }
      end += 1;
    } else {
      const separator = text.indexOf(", ", colon + 1);
      end = separator === -1 ? text.length : separator;
      value = text.slice(colon + 1, end);
    }
    names.push({ type, value });
    position = text.startsWith(", ", end) ? end + 2 : end + 1;
  }
  return names;
}

/** Return the URI SANs that are well-formed SPIFFE IDs, dropping other URIs and crafted values. */
export function spiffeIdsOf(subjectAltName: string | undefined): string[] {
  return parseSubjectAltName(subjectAltName)
    .filter((name) => name.type === "URI" && SPIFFE_ID.test(name.value))
    .map((name) => name.value);
}

/** Join the attributes of a distinguished name, which Node prints one per line, with commas as openssl does. */
function formatName(name: string | undefined): string {
  return (name ?? "")
    .split("\n")
    .filter((part) => part !== "")
    .join(", ");
}

export function parseCertificate(pem: string): ParsedCertificate {
  const certificate = new X509Certificate(pem);
  return {
    subject: formatName(certificate.subject),
    issuer: formatName(certificate.issuer),
    serialNumber: certificate.serialNumber.toLowerCase(),
    validFrom: new Date(certificate.validFrom).toISOString(),
    validTo: new Date(certificate.validTo).toISOString(),
    uriSans: spiffeIdsOf(certificate.subjectAltName),
    isCa: certificate.ca,
    fingerprint256: certificate.fingerprint256,
  };
}

/** Parse every certificate of a PEM bundle, in order. */
export function parseCertificateChain(pemBundle: string): ParsedCertificate[] {
  const blocks = pemBundle.match(PEM_CERTIFICATE) ?? [];
  return blocks.map((block) => {
    try {
      return parseCertificate(block);
    } catch (error) {
      throw new InvalidConfigDumpError(`a certificate in the chain cannot be parsed: ${String(error)}`);
    }
  });
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Read a field by its proto name (`inline_bytes`) or its JSON name (`inlineBytes`), as istioctl prints it. */
function field(object: unknown, name: string): unknown {
  if (!isObject(object)) return undefined;
  if (name in object) return object[name];
  const camel = name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  return object[camel];
}

/** Decode an Envoy DataSource: `inline_bytes` is base64, `inline_string` is plain text. */
function dataSourceText(source: unknown): string | undefined {
  const bytes = field(source, "inline_bytes");
  if (typeof bytes === "string") return Buffer.from(bytes, "base64").toString("utf8");
  const text = field(source, "inline_string");
  return typeof text === "string" ? text : undefined;
}

/**
 * Collect the dynamic secrets of a config dump, in either shape Envoy produces: the whole
 * `SecretsConfigDump` (`configs[].dynamic_active_secrets[]`), or one `DynamicSecret` per entry of
 * `configs`, which is what `?resource=dynamic_active_secrets` returns.
 */
function dynamicSecrets(dump: unknown): JsonObject[] {
  const configs = field(dump, "configs");
  if (!Array.isArray(configs)) throw new InvalidConfigDumpError("the config dump has no configs list");
  const secrets: JsonObject[] = [];
  for (const config of configs) {
    const active = field(config, "dynamic_active_secrets");
    if (Array.isArray(active)) secrets.push(...active.filter(isObject));
    else if (isObject(config) && field(config, "secret") !== undefined) secrets.push(config);
  }
  return secrets;
}

export interface ServedIdentity {
  /** Leaf first. Empty when Envoy has no `default` secret yet. */
  chain: ParsedCertificate[];
  validationContext: "spiffe-validator" | "trusted-ca" | "none";
  trustDomains?: string[];
}

/** Read the `default` chain and the `ROOTCA` validation context from an Envoy secrets config dump. */
export function parseSecretsConfigDump(dump: unknown): ServedIdentity {
  const secrets = dynamicSecrets(dump);
  const byName = (name: string) => secrets.find((secret) => field(secret, "name") === name);

  const chainSource = field(field(field(byName("default"), "secret"), "tls_certificate"), "certificate_chain");
  const chainPem = dataSourceText(chainSource);
  const chain = chainPem === undefined ? [] : parseCertificateChain(chainPem);

  const validation = field(field(byName("ROOTCA"), "secret"), "validation_context");
  const validator = field(validation, "custom_validator_config");
  if (field(validator, "name") === SPIFFE_VALIDATOR) {
    const domains = field(field(validator, "typed_config"), "trust_domains");
    const trustDomains = (Array.isArray(domains) ? domains : [])
      .map((domain) => field(domain, "name"))
      .filter((name): name is string => typeof name === "string");
    return { chain, validationContext: "spiffe-validator", trustDomains };
  }
  const trustedCa = dataSourceText(field(validation, "trusted_ca"));
  if (trustedCa !== undefined && trustedCa.trim() !== "") return { chain, validationContext: "trusted-ca" };
  return { chain, validationContext: "none" };
}

/** Tell whether a pod carries a sidecar: `istio-proxy` as a container, or as a native sidecar init container. */
export function isMeshedPod(pod: Pod): boolean {
  const inContainers = (pod.spec?.containers ?? []).some((container) => container.name === "istio-proxy");
  const nativeSidecar = (pod.spec?.initContainers ?? []).some(
    (container) => container.name === "istio-proxy" && container.restartPolicy === "Always",
  );
  return inContainers || nativeSidecar;
}

/** Name the workload that owns a pod, as `Kind namespace/name`. ReplicaSets and Jobs resolve to their owner. */
export function workloadOf(pod: Pod, objects: readonly KubeObject[]): string {
  const namespace = pod.metadata.namespace;
  const owner =
    pod.metadata.ownerReferences?.find((reference) => reference.controller) ?? pod.metadata.ownerReferences?.[0];
  if (!owner) return subjectOf("Pod", namespace, pod.metadata.name);
  if (owner.kind === "ReplicaSet" || owner.kind === "Job") {
    const parent = objects.find(
      (object) =>
        object.kind === owner.kind && object.metadata.namespace === namespace && object.metadata.name === owner.name,
    );
    const grandOwner =
      parent?.metadata.ownerReferences?.find((reference) => reference.controller) ??
      parent?.metadata.ownerReferences?.[0];
    if (grandOwner) return subjectOf(grandOwner.kind, namespace, grandOwner.name);
  }
  return subjectOf(owner.kind, namespace, owner.name);
}

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((condition) => condition.type === "Ready" && condition.status === "True");
}

export interface CertificateTarget {
  pod: Pod;
  workload: string;
}

/** Pick one Running meshed pod per workload: a Ready one when there is one, then the first by name. */
export function selectCertificateTargets(objects: readonly KubeObject[]): CertificateTarget[] {
  const byWorkload = new Map<string, Pod[]>();
  for (const object of objects) {
    if (object.kind !== "Pod") continue;
    const pod = object as Pod;
    if (pod.status?.phase !== "Running" || !isMeshedPod(pod)) continue;
    const workload = workloadOf(pod, objects);
    byWorkload.set(workload, [...(byWorkload.get(workload) ?? []), pod]);
  }
  return [...byWorkload.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([workload, pods]) => {
      const sorted = [...pods].sort(
        (a, b) => Number(isPodReady(b)) - Number(isPodReady(a)) || a.metadata.name.localeCompare(b.metadata.name),
      );
      return { workload, pod: sorted[0] as Pod };
    });
}

/** Read one pod's served certificate through a port-forward to Envoy admin. Failures become an evidence error. */
export async function collectServedCertificate(
  client: KubernetesClientModule,
  config: k8s.KubeConfig,
  target: CertificateTarget,
  timeoutMs: number,
  clock: () => Date,
): Promise<ServedCertificateEvidence> {
  const namespace = target.pod.metadata.namespace ?? "default";
  const pod = target.pod.metadata.name;
  const started = clock();
  const base = {
    type: "served-certificate" as const,
    id: `certs:${namespace}/${pod}`,
    command: `istioctl proxy-config secret ${pod} -n ${namespace} -o json`,
    at: started.toISOString(),
    attempts: 1,
    pod,
    namespace,
    workload: target.workload,
  };
  const elapsed = () => clock().getTime() - started.getTime();

  try {
    const [dump, certs] = await getThroughPortForward(
      client,
      config,
      { namespace, pod, port: ENVOY_ADMIN_PORT },
      [CONFIG_DUMP_PATH, CERTS_PATH],
      timeoutMs,
    );
    for (const response of [dump, certs]) {
      if (response && response.status !== 200) {
        throw new InvalidConfigDumpError(`Envoy admin ${response.path} returned HTTP ${response.status}`);
      }
    }
    const identity = parseSecretsConfigDump(JSON.parse(dump?.body ?? ""));
    return {
      ...base,
      output: maskCredentials(certs?.body ?? ""),
      durationMs: elapsed(),
      chain: identity.chain,
      validationContext: identity.validationContext,
      ...(identity.trustDomains ? { trustDomains: identity.trustDomains } : {}),
    };
  } catch (error) {
    const failure =
      error instanceof PortForwardFailure
        ? error.failure
        : error instanceof InvalidConfigDumpError
          ? { reason: "invalid-response" as const, message: error.message }
          : classifyError(error);
    return {
      ...base,
      output: "",
      durationMs: elapsed(),
      chain: [],
      error: {
        reason: failure.reason,
        message: maskCredentials(failure.message),
        ...(failure.reason === "forbidden" ? { permission: "create pods/portforward" } : {}),
      },
    };
  }
}
