import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * Local HTTP stand-ins for the admin ports the live collector reaches through port-forward: Envoy
 * admin (15000) serving secrets config dumps and `/certs`, and istiod's monitoring port (15014)
 * serving `/debug/mesh`. Each listens on 127.0.0.1 and records every request it receives.
 */

export interface StubServer {
  port: number;
  /** `METHOD path?query` of every request received. */
  requests: string[];
  close(): Promise<void>;
}

type Route = (request: IncomingMessage) => { status: number; body: string } | undefined;

export async function startStubServer(route: Route): Promise<StubServer> {
  const requests: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    requests.push(`${request.method} ${request.url}`);
    const answer = route(request) ?? { status: 404, body: "not found\n" };
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(answer.body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("stub server has no TCP port");
  return {
    port: address.port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type RootValidation =
  | { type: "spiffe"; trustDomains: Array<{ name: string; bundlePem: string }> }
  | { type: "trusted-ca"; pem: string };

export interface EnvoySecrets {
  /** The `default` secret's chain, leaf first. */
  chainPem: string;
  root: RootValidation;
}

const base64 = (text: string) => Buffer.from(text).toString("base64");

/** What `/config_dump?resource=dynamic_active_secrets` returns: one DynamicSecret per config entry. */
export function secretsConfigDump(secrets: EnvoySecrets): unknown {
  const validationContext =
    secrets.root.type === "spiffe"
      ? {
          trusted_ca: {},
          custom_validator_config: {
            name: "envoy.tls.cert_validator.spiffe",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig",
              trust_domains: secrets.root.trustDomains.map((domain) => ({
                name: domain.name,
                trust_bundle: { inline_bytes: base64(domain.bundlePem) },
              })),
            },
          },
        }
      : { trusted_ca: { inline_bytes: base64(secrets.root.pem) } };
  return {
    configs: [
      {
        "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump.DynamicSecret",
        name: "default",
        version_info: "2026-06-28T10:00:00Z",
        last_updated: "2026-06-28T10:00:00.000Z",
        secret: {
          "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
          name: "default",
          tls_certificate: {
            certificate_chain: { inline_bytes: base64(secrets.chainPem) },
            private_key: { inline_bytes: base64("[redacted]") },
          },
        },
      },
      {
        "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump.DynamicSecret",
        name: "ROOTCA",
        version_info: "2026-06-28T10:00:00Z",
        last_updated: "2026-06-28T10:00:00.000Z",
        secret: {
          "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
          name: "ROOTCA",
          validation_context: validationContext,
        },
      },
    ],
  };
}

/** What Envoy's `/certs` returns for a chain: serials, SANs and dates, no PEM. */
export function certsSummary(chainPem: string): unknown {
  const blocks = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const details = blocks.map((block) => {
    const certificate = new X509Certificate(block);
    const uris = (certificate.subjectAltName ?? "")
      .split(", ")
      .filter((name) => name.startsWith("URI:"))
      .map((name) => ({ uri: name.slice(4) }));
    const validTo = new Date(certificate.validTo);
    return {
      path: "<inline>",
      serial_number: certificate.serialNumber.toLowerCase(),
      subject_alt_names: uris,
      days_until_expiration: String(Math.max(0, Math.floor((validTo.getTime() - Date.now()) / 86_400_000))),
      valid_from: new Date(certificate.validFrom).toISOString(),
      expiration_time: validTo.toISOString(),
    };
  });
  return { certificates: [{ ca_cert: [], cert_chain: details }] };
}

/** Start an Envoy admin stand-in that serves the two read paths the collector uses, and 404 for others. */
export function startEnvoyAdmin(secrets: EnvoySecrets): Promise<StubServer> {
  return startStubServer((request) => {
    if (request.method !== "GET") return { status: 405, body: "method not allowed\n" };
    if (request.url === "/config_dump?resource=dynamic_active_secrets") {
      return { status: 200, body: JSON.stringify(secretsConfigDump(secrets)) };
    }
    if (request.url === "/certs") return { status: 200, body: JSON.stringify(certsSummary(secrets.chainPem)) };
    return undefined;
  });
}

/** Start an istiod monitoring-port stand-in serving `/debug/mesh`. */
export function startIstiodDebug(mesh: Record<string, unknown>): Promise<StubServer> {
  return startStubServer((request) =>
    request.method === "GET" && request.url === "/debug/mesh" ? { status: 200, body: JSON.stringify(mesh) } : undefined,
  );
}
