import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

/**
 * Test certificates minted on the fly: a CA and a 127.0.0.1 server certificate for the fake API
 * server, and workload chains shaped like the ones SPIRE and istiod issue.
 */

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const HOUR_MS = 3_600_000;

export interface MintedCertificate {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
  /** PEM of the certificate alone. */
  pem: string;
}

export interface MintOptions {
  /** Distinguished name, for example `C=US, O=SPIRE`; an empty string gives an empty subject. */
  subject: string;
  notBefore?: Date;
  notAfter?: Date;
  isCa?: boolean;
  uriSans?: string[];
  ipSans?: string[];
  dnsSans?: string[];
  /** Extended key usage OIDs, for example ExtendedKeyUsage.clientAuth. Without them the certificate has no such extension. */
  extendedKeyUsages?: string[];
  /** Signing CA; a self-signed certificate when absent. */
  issuer?: MintedCertificate;
  serialNumber?: string;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
}

/** Mint one certificate with a fresh P-256 key. */
export async function mintCertificate(options: MintOptions): Promise<MintedCertificate> {
  const keys = await generateKeys();
  const now = Date.now();
  const notBefore = options.notBefore ?? new Date(now - HOUR_MS);
  const notAfter = options.notAfter ?? new Date(now + 24 * HOUR_MS);

  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(options.isCa ?? false, undefined, true)];
  if (options.isCa) {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  } else {
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    );
  }
  if (options.extendedKeyUsages !== undefined) {
    extensions.push(new x509.ExtendedKeyUsageExtension(options.extendedKeyUsages));
  }
  const names: x509.JsonGeneralName[] = [
    ...(options.uriSans ?? []).map((value) => ({ type: "url" as const, value })),
    ...(options.ipSans ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(options.dnsSans ?? []).map((value) => ({ type: "dns" as const, value })),
  ];
  if (names.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(names, options.subject === ""));
  }

  const common = {
    serialNumber: options.serialNumber ?? randomSerial(),
    notBefore,
    notAfter,
    signingAlgorithm: algorithm,
    extensions,
  };
  const certificate = options.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: options.subject,
        issuer: options.issuer.certificate.subject,
        publicKey: keys.publicKey,
        signingKey: options.issuer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: options.subject, keys });
  return { certificate, keys, pem: certificate.toString("pem") };
}

/** PEM of a private key, for the TLS server of the fake API server or a kubeconfig's client-key-data. */
export async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey as never));
  const body = der
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

export interface ServerPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Mint a CA and a server certificate for 127.0.0.1 and localhost. */
export async function mintServerPki(): Promise<ServerPki> {
  const ca = await mintCertificate({ subject: "CN=meshproof test CA", isCa: true });
  const server = await mintCertificate({
    subject: "CN=127.0.0.1",
    issuer: ca,
    ipSans: ["127.0.0.1"],
    dnsSans: ["localhost"],
  });
  return { caPem: ca.pem, certPem: server.pem, keyPem: await privateKeyPem(server.keys) };
}

export interface ClientCredential {
  certPem: string;
  keyPem: string;
}

/**
 * Mint a client certificate for the user `commonName` in `organizations`, the subject fields
 * kube-apiserver maps to the user name and groups. It carries the clientAuth extended key usage,
 * which kube-apiserver's DefaultVerifyOptions (k8s.io/apiserver, request/x509) require.
 */
export async function mintClientCredential(
  issuer: MintedCertificate,
  commonName: string,
  organizations: string[] = [],
): Promise<ClientCredential> {
  const subject = [`CN=${commonName}`, ...organizations.map((organization) => `O=${organization}`)].join(", ");
  const client = await mintCertificate({ subject, issuer, extendedKeyUsages: [x509.ExtendedKeyUsage.clientAuth] });
  return { certPem: client.pem, keyPem: await privateKeyPem(client.keys) };
}
