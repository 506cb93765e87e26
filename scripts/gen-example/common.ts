/** Shared types, constants and deterministic identifiers of the example generator. */
import { createHash } from "node:crypto";

export type Doc = Record<string, unknown>;
export type Labels = Record<string, string>;

/** T0, when the rollout window opened. */
export const WINDOW_START = "2026-06-28T18:00:00Z";
export const CAPTURED_AT = "2026-06-28T21:40:00Z";
export const CLUSTER = "lynkedup-tech";
export const TRUST_DOMAIN = "insignia.tech";
/** A neutral stand-in for the managed Postgres host of the real cluster. */
export const DB_HOST = "db-postgresql-nyc2-00000-do-user-0000000-0.db.example.com";
export const ISTIO_TAG = "1.23.2";
export const PROXY_IMAGE = `docker.io/istio/proxyv2:${ISTIO_TAG}`;
export const INGRESS_LB_IP = "203.0.113.10";

/**
 * istiod's self-signed root (subject O=insignia.tech, RSA 2048, valid 2026-06-28 to 2036-06-25),
 * minted once for this example with @peculiar/x509. The private key was discarded. istiod writes
 * it to the webhook caBundle and to every `istio-ca-root-cert` ConfigMap.
 */
export const ISTIOD_ROOT_PEM = `-----BEGIN CERTIFICATE-----
MIIC/DCCAeSgAwIBAgIQXxwqnn07RuChxLjS6fB6MTANBgkqhkiG9w0BAQsFADAY
MRYwFAYDVQQKEw1pbnNpZ25pYS50ZWNoMB4XDTI2MDYyODE4MDA0MVoXDTM2MDYy
NTE4MDA0MVowGDEWMBQGA1UEChMNaW5zaWduaWEudGVjaDCCASIwDQYJKoZIhvcN
AQEBBQADggEPADCCAQoCggEBAMpu4HydpAt6jUuptloZfF0k/UfMnLbq0NgYgmGX
g8pjLYvGbCyKKtvZqZra2BZciMisrfiWSgeMOtsv7nrWEiuSF33Igbi77JjwDBIt
FSHycNpdmM+sDFcB+QQgDu9QFmCONr7hzsi7L9nEcAnxaZmi3ubFJfAd32MwF+36
C0JHdotR8y0bK1t8f0eudEa8980sF1+8SQKSsaoOfDIir/O8/PO8uxWJ4nlVO4Ml
nUtgyb6vFkfRes0DVOEu2UOTc+1jcVOGoNpEywkztLUX5yWqRuVBjYrd105Lg4yD
4LgUkqQuay7RMEh88D7fKzX/p6o16YYNDNTTT+d38SJ+0S0CAwEAAaNCMEAwDwYD
VR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAYYwHQYDVR0OBBYEFFDyQAo8QbGy
Ip/7d60HGIsBF9iCMA0GCSqGSIb3DQEBCwUAA4IBAQB2zE11yXEtzcKAdpgzwP0a
VGVSLnakFXfIY1mhn9KtJKKovckWSEFsyjaZ9KlAETT4KEd7v0ItQ17rjoJQuR/Z
067MeCTKgrLC49ZFJHcybepH8gsR5JbBip6atqBbW3wI+WiXaGNTebecY8ZM2kdG
3krHe+nc13V1oQqLZXlMBfb2qoWZag5nku2w8L+9Slrc84THq+d4iy/ZFXHlf4e4
UlYMMX4hkXsJG++4ftCNkrXkVn6cIiZtH3/jwRyuHPdHhH2HbOKXXkssK65KKeEe
RIkLa29wCKgHm43iVanO/qA5vyOk/TlQIZfmDrQ3c9wtX6SiOCNwsmgJAhmlU+Z7
-----END CERTIFICATE-----
`;

/**
 * The SPIRE server CA (subject C=US, O=SPIFFE, URI SAN spiffe://insignia.tech, EC P-256, 24 h
 * lifetime as `ca_ttl` sets), minted the same way. The k8sbundle notifier publishes it.
 */
export const SPIRE_CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBoDCCAUWgAwIBAgIQK35BwJpV0/jmAUx9myqOEzAKBggqhkjOPQQDAjAeMQsw
CQYDVQQGEwJVUzEPMA0GA1UEChMGU1BJRkZFMB4XDTI2MDYyODA4MTQwM1oXDTI2
MDYyOTA4MTQxM1owHjELMAkGA1UEBhMCVVMxDzANBgNVBAoTBlNQSUZGRTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABKWlDOlHWAqAWNs2AwvbruHpFRBrNYOVWxBv
1xa9bfsTCw/8BcT+OWGPA7q4M3lAHQxPy/jRtEGN3w5SlGOCga2jZTBjMA8GA1Ud
EwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBT4JEaiMLvnadkD
a1HGa5W/av7KVTAhBgNVHREEGjAYhhZzcGlmZmU6Ly9pbnNpZ25pYS50ZWNoMAoG
CCqGSM49BAMCA0kAMEYCIQDCppC/ISuqAF9CA/Dd5+PG9Ps76py+AwKQtAftj+Mm
8QIhAJ2i9UifLKOFL9HPINUAA2ZkwdVlEYgJJvFTNnrLFoAC
-----END CERTIFICATE-----
`;

// ---------------------------------------------------------------------------------------------
// Deterministic identifiers

export function sha256(seed: string): string {
  return createHash("sha256").update(seed).digest("hex");
}

/** Derives a version-4-shaped UUID from the seed. */
export function uidFor(seed: string): string {
  const h = sha256(`uid:${seed}`);
  const variant = "89ab"[Number.parseInt(h.charAt(16), 16) % 4];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function objectUid(kind: string, namespace: string | undefined, name: string): string {
  return uidFor(`${kind}/${namespace ?? ""}/${name}`);
}

/** The alphabet Kubernetes uses for generated name suffixes and pod-template hashes (no vowels). */
export const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function nameSuffix(seed: string, length: number): string {
  const h = sha256(`suffix:${seed}`);
  let out = "";
  for (let i = 0; i < length; i++) {
    out += NAME_ALPHABET.charAt(Number.parseInt(h.slice(i * 2, i * 2 + 2), 16) % NAME_ALPHABET.length);
  }
  return out;
}

export function resourceVersion(seed: string): string {
  return String(40_000_000 + (Number.parseInt(sha256(`rv:${seed}`).slice(0, 8), 16) % 9_000_000));
}

export function imageDigest(image: string): string {
  return `sha256:${sha256(`image:${image}`)}`;
}

/** Formats the `imageID` the container runtime reports: the repository plus the digest. */
export function imageId(image: string): string {
  const [reference = image, pinnedDigest] = image.split("@");
  const repository = reference.replace(/:[^:/]+$/, "");
  return `${repository}@${pinnedDigest ?? imageDigest(image)}`;
}

export function addSeconds(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString().replace(".000Z", "Z");
}

// ---------------------------------------------------------------------------------------------
// Nodes and address allocation

export interface NodeInfo {
  name: string;
  internalIp: string;
  externalIp: string;
  podCidr: string;
  podPrefix: string;
  created: string;
}

export const NODES: NodeInfo[] = ["fx2kq", "fx2kv", "fx2kw", "fx2kz", "fx2m4", "fx2m7"].map((suffix, index) => ({
  name: `pool-a1b2c-${suffix}`,
  internalIp: `10.116.0.${3 + index}`,
  externalIp: `198.51.100.${21 + index}`,
  podCidr: `10.244.${index}.0/24`,
  podPrefix: `10.244.${index}.`,
  created: addSeconds("2026-05-31T03:02:10Z", index * 97),
}));

export function node(index: number): NodeInfo {
  const found = NODES[index % NODES.length];
  if (!found) throw new Error(`node index ${index} not found in NODES`);
  return found;
}

export const nextPodHost = new Map<string, number>();

export function allocatePodIp(nodeName: string): string {
  const info = NODES.find((candidate) => candidate.name === nodeName);
  if (!info) throw new Error(`node ${nodeName} not found in NODES`);
  const host = (nextPodHost.get(nodeName) ?? 11) + 1;
  nextPodHost.set(nodeName, host);
  return `${info.podPrefix}${host}`;
}

let nextServiceIp = 0;

/** Restarts pod and Service IP allocation, so every build assigns the same addresses. */
export function resetAddressAllocation(): void {
  nextPodHost.clear();
  nextServiceIp = 0;
}

export function allocateServiceIp(): string {
  nextServiceIp += 1;
  return `10.245.${Math.floor(nextServiceIp / 200) + 1}.${(nextServiceIp % 200) + 20}`;
}
