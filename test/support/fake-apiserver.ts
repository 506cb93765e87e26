import { once } from "node:events";
import { mkdtemp, writeFile } from "node:fs/promises";
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import { createServer, type Server } from "node:https";
import { connect as connectTcp, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import { type WebSocket, WebSocketServer } from "ws";
import { COLLECTED_KINDS } from "../../src/collect/kinds.js";
import { apiGroup, type KubeObject } from "../../src/model/kube.js";
import { LabelSelectorError, matchesLabelSelector, parseLabelSelector } from "./label-selector.js";
import { mintServerPki, type ServerPki } from "./pki.js";
import {
  type AuthorizationAttributes,
  deployRbacRoles,
  forbiddenMessage,
  type GrantedPermission,
  RbacAuthorizer,
} from "./rbac.js";

/**
 * A fake Kubernetes API server over HTTPS on 127.0.0.1. It serves the objects a test gives it, with
 * discovery, list and get, label selectors and pagination, and exec and port-forward over WebSocket.
 * It enforces RBAC from Role and ClusterRole rules (deploy/rbac.yaml unless a test passes others),
 * injects faults and keeps an audit log of every request. It decides nothing the product decides: exec output
 * and port-forward targets come from handlers the test registers.
 *
 * close() enforces meshproof's read-only contract over every request the server received: no write
 * verb, no read of Secrets, exec only of the allowlisted spire-server commands and port-forward only
 * to Envoy admin (15000) and istiod's monitoring port (15014). A violation makes close() reject, so
 * the test that owns the server fails. A test that sends a forbidden request on purpose exempts
 * exactly those requests with exemptFromAuditRules().
 *
 * Clients authenticate with a bearer token, or with a TLS client certificate when the test passes
 * `clientCaPem`.
 */

export interface ExecCall {
  namespace: string;
  pod: string;
  container: string;
  argv: string[];
}

export interface ExecResult {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

export type ExecHandler = (call: ExecCall) => ExecResult | Promise<ExecResult>;

export interface PortForwardCall {
  namespace: string;
  pod: string;
  port: number;
}

/** Where a forwarded port connects, or undefined when nothing listens on that port in the pod. */
export type PortForwardHandler = (
  call: PortForwardCall,
) => { host: string; port: number } | undefined | Promise<{ host: string; port: number } | undefined>;

export type FaultAction =
  | { type: "latency"; ms: number }
  | { type: "status"; status: number; retryAfterSeconds?: number; message?: string }
  /** Send no response. The request stays open until the client gives up or the server closes. */
  | { type: "hang" }
  /** Close the connection before any response. */
  | { type: "drop" }
  /** Send the headers and part of the body, then close the connection. */
  | { type: "drop-mid-response" };

export interface Fault {
  /** The request path without the query: an exact string or a pattern. */
  path: string | RegExp;
  /** Narrows the fault to requests whose query matches, for example only pages after the first. */
  query?: (params: URLSearchParams) => boolean;
  method?: string;
  /** How many matching requests the fault applies to; every matching request when absent. */
  times?: number;
  action: FaultAction;
}

export interface AuditEntry {
  method: string;
  path: string;
  query: Record<string, string[]>;
  /** The RBAC verb: get, list, watch, create, update, patch, delete or deletecollection. */
  verb: string;
  /** `pods`, `pods/exec` or `peerauthentications`; absent for non-resource paths. */
  resource?: string;
  group?: string;
  namespace?: string;
  name?: string;
  /** HTTP status sent, 101 for an accepted WebSocket upgrade, 0 when no response was sent. */
  status: number;
  exec?: { container: string; argv: string[] };
  portForward?: { ports: number[] };
  /** The Authorization header's token, so tests can assert which credential was used. */
  token?: string;
  /**
   * The authenticated user name: a trusted client certificate's CN, else the `user` option for a
   * bearer token. Absent when authentication failed or an injected fault sent the response first.
   */
  user?: string;
  /** The groups that a trusted client certificate's O values give; absent for bearer tokens. */
  groups?: string[];
  /** Permissions RBAC checked and granted for this request; a WebSocket upgrade checks get and create. */
  authorized: GrantedPermission[];
}

export interface FakeApiServerOptions {
  objects?: KubeObject[];
  /**
   * Kinds served with or without objects, by name. Built-in kinds of COLLECTED_KINDS are always
   * served; optional kinds (CRDs) are served only when named here or present in `objects`.
   */
  servedKinds?: string[];
  /** Bearer tokens the server accepts. */
  tokens?: string[];
  /** The user name of every bearer token, shown in 403 messages and the audit log. */
  user?: string;
  /**
   * PEM of the CA that signs accepted client certificates. When set, the server requests a client
   * certificate in the TLS handshake but completes it without one, and, like kube-apiserver, takes
   * the user name from a trusted certificate's subject CN and the groups from its O values. A
   * request without a trusted certificate still authenticates with a bearer token, else gets 401.
   */
  clientCaPem?: string;
  /**
   * Role and ClusterRole objects bound to the caller, or "allow-all" to authorize every request.
   * @default the roles of deploy/rbac.yaml
   */
  rbac?: KubeObject[] | "allow-all";
  gitVersion?: string;
  exec?: ExecHandler;
  portForward?: PortForwardHandler;
  pki?: ServerPki;
}

interface Identity {
  user: string;
  groups?: string[];
}

interface ServedResource {
  kind: string;
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

interface KindInfo {
  group: string;
  plural: string;
  namespaced: boolean;
}

/** Kinds outside COLLECTED_KINDS that tests may serve, to show the collector never requests them. */
const EXTRA_KINDS: Record<string, KindInfo> = {
  Secret: { group: "", plural: "secrets", namespaced: true },
  Endpoints: { group: "", plural: "endpoints", namespaced: true },
  Event: { group: "", plural: "events", namespaced: true },
  ClusterRole: { group: "rbac.authorization.k8s.io", plural: "clusterroles", namespaced: false },
  Role: { group: "rbac.authorization.k8s.io", plural: "roles", namespaced: true },
};

const BUILT_IN_GROUPS = new Set(["", "apps", "batch", "policy", "autoscaling"]);

function isBuiltInGroup(group: string): boolean {
  return BUILT_IN_GROUPS.has(group) || group.endsWith(".k8s.io");
}

function kindInfo(kind: string, object?: KubeObject): KindInfo {
  const collected = COLLECTED_KINDS.find((candidate) => candidate.kind === kind);
  if (collected) return { group: collected.group, plural: collected.plural, namespaced: collected.namespaced };
  const extra = EXTRA_KINDS[kind];
  if (extra) return extra;
  const lower = kind.toLowerCase();
  const plural = lower.endsWith("y") ? `${lower.slice(0, -1)}ies` : `${lower}s`;
  return {
    group: object ? apiGroup(object.apiVersion) : "",
    plural,
    namespaced: object?.metadata.namespace !== undefined,
  };
}

function versionOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
}

function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  410: "Expired",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** A request after routing: what it addresses in API terms. */
interface Route {
  kind: "non-resource" | "discovery" | "resource";
  verb: string;
  resource?: ServedResource;
  /** Plural as written in the path, when it named an unknown resource. */
  plural?: string;
  group?: string;
  version?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

function encodeContinue(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString("base64url");
}

function decodeContinue(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { offset?: unknown };
    if (typeof parsed.offset === "number" && Number.isInteger(parsed.offset) && parsed.offset >= 0) {
      return parsed.offset;
    }
  } catch {
    // Falls through to the error below.
  }
  throw new HttpError(400, `continue key is not valid: ${token}`);
}

function sortKey(object: KubeObject): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/** The spire-server argument lists meshproof may exec, each compared whole. */
const ALLOWED_EXEC_ARGV = [
  ["/opt/spire/bin/spire-server", "healthcheck"],
  ["/opt/spire/bin/spire-server", "agent", "list", "-output", "json"],
  ["/opt/spire/bin/spire-server", "entry", "show", "-output", "json"],
  ["/opt/spire/bin/spire-server", "bundle", "show", "-format", "spiffe"],
];
/** Envoy admin and istiod's monitoring port, the only pod ports meshproof may forward. */
const ALLOWED_FORWARD_PORTS = new Set([15000, 15014]);
const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

/** Describe why a request breaks meshproof's read-only contract, or return undefined when it does not. */
export function auditRuleViolation(entry: AuditEntry): string | undefined {
  if (entry.method !== "GET" || WRITE_VERBS.has(entry.verb)) return `${entry.method} (${entry.verb}) is a write`;
  if (entry.group === "" && entry.resource?.split("/")[0] === "secrets") return "reads Secrets";
  if (entry.resource === "pods/exec") {
    const argv = entry.query.command ?? [];
    const allowed = ALLOWED_EXEC_ARGV.some(
      (candidate) => candidate.length === argv.length && candidate.every((part, index) => part === argv[index]),
    );
    if (!allowed) return `execs ${JSON.stringify(argv)}, which is not an allowlisted spire-server command`;
  }
  if (entry.resource === "pods/portforward") {
    const ports = (entry.query.ports ?? []).flatMap((value) => value.split(","));
    const denied = ports.filter((port) => !ALLOWED_FORWARD_PORTS.has(Number(port)));
    if (ports.length === 0 || denied.length > 0) return `forwards port ${denied.join(",") || "(none)"}`;
  }
  return undefined;
}

export class AuditRuleError extends Error {
  constructor(readonly violations: string[]) {
    super(`the fake API server received requests meshproof must never send:\n${violations.join("\n")}`);
    this.name = "AuditRuleError";
  }
}

export class FakeApiServer {
  /** Requests since start or the last clearAudit(). */
  readonly audit: AuditEntry[] = [];
  /** Every request since start; clearAudit() leaves it, so close() sees requests made before a clear. */
  private readonly history: AuditEntry[] = [];
  private readonly auditExemptions: Array<(entry: AuditEntry) => boolean> = [];
  readonly pki: ServerPki;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly served = new Map<string, ServedResource>();
  private readonly objects: KubeObject[];
  private readonly tokens: Set<string>;
  private readonly user: string;
  private authorizer?: RbacAuthorizer;
  private readonly faults: Array<Fault & { remaining: number }> = [];
  private readonly openSockets = new Set<Duplex>();
  private readonly upstreams = new Set<Socket>();
  private resourceVersion = 1000;
  private port = 0;

  private constructor(
    private readonly options: FakeApiServerOptions,
    pki: ServerPki,
  ) {
    this.pki = pki;
    this.objects = [...(options.objects ?? [])].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
    this.tokens = new Set(options.tokens ?? ["test-token"]);
    this.user = options.user ?? "system:serviceaccount:meshproof:meshproof";
    this.authorizer = options.rbac === "allow-all" ? undefined : new RbacAuthorizer(options.rbac ?? deployRbacRoles());
    this.registerServedResources();

    // rejectUnauthorized: false lets a client without a trusted certificate finish the handshake,
    // so the server responds with a 401 Status as kube-apiserver does, not with a TLS alert.
    const clientAuthentication =
      options.clientCaPem === undefined
        ? {}
        : { requestCert: true, ca: options.clientCaPem, rejectUnauthorized: false };
    const tlsOptions = { key: pki.keyPem, cert: pki.certPem, ...clientAuthentication };
    this.server = createServer(tlsOptions, (request, response) => {
      void this.handleRequest(request, response);
    });
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (protocols) => {
        for (const preferred of ["v5.channel.k8s.io", "v4.channel.k8s.io"]) {
          if (protocols.has(preferred)) return preferred;
        }
        return false;
      },
    });
    this.server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.handleUpgrade(request, socket, head);
    });
    this.server.on("secureConnection", (socket) => {
      this.openSockets.add(socket);
      socket.on("close", () => this.openSockets.delete(socket));
    });
  }

  /** Start a server on a random port of 127.0.0.1, minting a CA and server certificate when none is given. */
  static async start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const fake = new FakeApiServer(options, options.pki ?? (await mintServerPki()));
    fake.server.listen(0, "127.0.0.1");
    await once(fake.server, "listening");
    const address = fake.server.address();
    if (address === null || typeof address === "string") throw new Error("fake API server has no TCP address");
    fake.port = address.port;
    return fake;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Replace the roles bound to the caller, so one server can serve runs with different permissions. */
  setRbac(rbac: KubeObject[] | "allow-all"): void {
    this.authorizer = rbac === "allow-all" ? undefined : new RbacAuthorizer(rbac);
  }

  addFault(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  clearAudit(): void {
    this.audit.length = 0;
  }

  /**
   * Exempt the requests `matches` selects from the rules close() enforces. Only tests that send a
   * forbidden request on purpose, to see how the server answers it, call this; keep `matches` narrow.
   */
  exemptFromAuditRules(matches: (entry: AuditEntry) => boolean): void {
    this.auditExemptions.push(matches);
  }

  /** Describe each request so far that breaks the read-only contract and no exemption covers. */
  auditViolations(): string[] {
    const violations: string[] = [];
    for (const entry of this.history) {
      const violation = auditRuleViolation(entry);
      if (violation === undefined || this.auditExemptions.some((matches) => matches(entry))) continue;
      const query = new URLSearchParams(
        Object.entries(entry.query).flatMap(([key, values]) => values.map((value) => [key, value])),
      ).toString();
      violations.push(`${entry.method} ${entry.path}${query ? `?${query}` : ""}: ${violation}`);
    }
    return violations;
  }

  /** Stop the server, then reject with AuditRuleError when any request broke the read-only contract. */
  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    for (const socket of this.upstreams) socket.destroy();
    for (const socket of this.openSockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.wss.close();
    const violations = this.auditViolations();
    if (violations.length > 0) throw new AuditRuleError(violations);
  }

  /** Build a kubeconfig (JSON, which is valid YAML) for this server with one context. */
  kubeconfig(options: KubeconfigOptions = {}): string {
    const context = options.context ?? "fake";
    return JSON.stringify(
      {
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: `${context}-cluster`,
            cluster: {
              server: options.server ?? this.url,
              "certificate-authority-data": Buffer.from(this.pki.caPem).toString("base64"),
            },
          },
        ],
        users: [{ name: `${context}-user`, user: this.kubeconfigUser(options) }],
        contexts: [{ name: context, context: { cluster: `${context}-cluster`, user: `${context}-user` } }],
        "current-context": context,
      },
      null,
      2,
    );
  }

  private kubeconfigUser(options: KubeconfigOptions): Record<string, unknown> {
    if (options.exec) {
      return {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: options.exec.command,
          args: options.exec.args ?? [],
          interactiveMode: "Never",
        },
      };
    }
    const certificate = options.clientCertificate;
    if (certificate && "certPem" in certificate) {
      return {
        "client-certificate-data": Buffer.from(certificate.certPem).toString("base64"),
        "client-key-data": Buffer.from(certificate.keyPem).toString("base64"),
      };
    }
    if (certificate) return { "client-certificate": certificate.certFile, "client-key": certificate.keyFile };
    return { token: options.token ?? [...this.tokens][0] ?? "" };
  }

  /** Write `kubeconfig(options)` to a new temporary directory and return the file path. */
  async writeKubeconfig(options: KubeconfigOptions = {}): Promise<string> {
    const directory = await mkdtemp(join(tmpdir(), "meshproof-kubeconfig-"));
    const file = join(directory, "config");
    await writeFile(file, this.kubeconfig(options), { mode: 0o600 });
    return file;
  }

  private registerServedResources(): void {
    const serve = (resource: ServedResource) => {
      this.served.set(`${resource.group}/${resource.version}/${resource.plural}`, resource);
    };
    for (const kind of COLLECTED_KINDS) {
      if (kind.optional) continue;
      for (const version of kind.versions) serve({ ...kind, version });
    }
    for (const name of this.options.servedKinds ?? []) {
      const collected = COLLECTED_KINDS.find((candidate) => candidate.kind === name);
      const info = kindInfo(name);
      serve({ kind: name, ...info, version: collected?.versions[0] ?? "v1" });
    }
    for (const object of this.objects) {
      const info = kindInfo(object.kind, object);
      serve({ kind: object.kind, ...info, group: apiGroup(object.apiVersion), version: versionOf(object.apiVersion) });
    }
  }

  private record(request: IncomingMessage, url: URL): AuditEntry {
    const query: Record<string, string[]> = {};
    for (const [key, value] of url.searchParams) {
      query[key] = [...(query[key] ?? []), value];
    }
    const authorization = request.headers.authorization ?? "";
    const entry: AuditEntry = {
      method: request.method ?? "GET",
      path: url.pathname,
      query,
      verb: "get",
      status: 0,
      token: authorization.startsWith("Bearer ") ? authorization.slice(7) : undefined,
      authorized: [],
    };
    this.audit.push(entry);
    this.history.push(entry);
    return entry;
  }

  private takeFaults(method: string, url: URL): { latencyMs: number; action?: FaultAction } {
    const path = url.pathname;
    let latencyMs = 0;
    let action: FaultAction | undefined;
    for (const fault of this.faults) {
      if (fault.remaining <= 0) continue;
      if (fault.method !== undefined && fault.method !== method) continue;
      const matches = typeof fault.path === "string" ? fault.path === path : fault.path.test(path);
      if (!matches) continue;
      if (fault.query && !fault.query(url.searchParams)) continue;
      if (fault.action.type === "latency") {
        fault.remaining -= 1;
        latencyMs += fault.action.ms;
      } else if (action === undefined) {
        fault.remaining -= 1;
        action = fault.action;
      }
    }
    return { latencyMs, action };
  }

  /**
   * Authenticate a request as kube-apiserver does: a trusted client certificate first, then a bearer
   * token. Returns undefined when neither is valid.
   */
  private authenticate(request: IncomingMessage): Identity | undefined {
    const fromCertificate = this.certificateIdentity(request.socket);
    if (fromCertificate) return fromCertificate;
    const header = request.headers.authorization ?? "";
    if (header.startsWith("Bearer ") && this.tokens.has(header.slice(7))) return { user: this.user };
    return undefined;
  }

  /**
   * Map a client certificate that chains to `clientCaPem` to its subject CN and O values. Like
   * CommonNameUserConversion in k8s.io/apiserver's request/x509 package, it ignores a certificate
   * with no CN.
   */
  private certificateIdentity(socket: unknown): Identity | undefined {
    if (this.options.clientCaPem === undefined || !(socket instanceof TLSSocket) || !socket.authorized) {
      return undefined;
    }
    // Node returns a repeated subject attribute as an array, though its type declares a string.
    const subject = socket.getPeerCertificate().subject as unknown as Record<string, string | string[] | undefined>;
    const commonName = [subject.CN ?? []].flat()[0];
    if (!commonName) return undefined;
    return { user: commonName, groups: [subject.O ?? []].flat() };
  }

  private route(method: string, url: URL): Route {
    const verbFor = (named: boolean): string => {
      switch (method) {
        case "GET":
          return named ? "get" : url.searchParams.get("watch") === "true" ? "watch" : "list";
        case "POST":
          return "create";
        case "PUT":
          return "update";
        case "PATCH":
          return "patch";
        case "DELETE":
          return named ? "delete" : "deletecollection";
        default:
          return method.toLowerCase();
      }
    };
    const segments = url.pathname.split("/").filter((segment) => segment !== "");
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === "api") {
      if (segments.length === 1) return { kind: "discovery", verb: "get" };
      group = "";
      version = segments[1] ?? "";
      rest = segments.slice(2);
    } else if (segments[0] === "apis") {
      if (segments.length <= 2) return { kind: "discovery", verb: "get" };
      group = segments[1] ?? "";
      version = segments[2] ?? "";
      rest = segments.slice(3);
    } else {
      return { kind: "non-resource", verb: verbFor(true) };
    }
    if (rest.length === 0) return { kind: "discovery", verb: "get", group, version };

    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural = "", name, subresource] = rest;
    const resource = this.served.get(`${group}/${version}/${plural}`);
    return {
      kind: "resource",
      verb: verbFor(name !== undefined),
      resource,
      plural,
      group,
      version,
      namespace,
      name,
      subresource,
    };
  }

  /** Return the denied attributes, or undefined when RBAC allows the request; records what it granted in `entry`. */
  private authorize(
    route: Route,
    path: string,
    entry: AuditEntry,
    verb = route.verb,
  ): AuthorizationAttributes | undefined {
    if (!this.authorizer) return undefined;
    const attributes: AuthorizationAttributes =
      route.kind === "resource"
        ? {
            verb,
            group: route.group ?? "",
            resource: route.subresource ? `${route.plural}/${route.subresource}` : (route.plural ?? ""),
            namespace: route.namespace,
            name: route.name,
          }
        : { verb, path };
    if (!this.authorizer.allows(attributes)) return attributes;
    if ("resource" in attributes) {
      entry.authorized.push({ verb, group: attributes.group, resource: attributes.resource });
    }
    return undefined;
  }

  private async handleRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", this.url);
    const method = request.method ?? "GET";
    const entry = this.record(request, url);
    const send = (code: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = code;
      const text = JSON.stringify(body);
      response.writeHead(code, { "content-type": "application/json", ...headers });
      response.end(text);
    };

    try {
      const route = this.route(method, url);
      entry.verb = route.verb;
      if (route.kind === "resource") {
        entry.resource = route.subresource ? `${route.plural}/${route.subresource}` : route.plural;
        entry.group = route.group;
        entry.namespace = route.namespace;
        entry.name = route.name;
      }

      const { latencyMs, action } = this.takeFaults(method, url);
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      if (action?.type === "hang") return;
      if (action?.type === "drop") {
        request.socket.destroy();
        return;
      }
      if (action?.type === "status") {
        const headers: Record<string, string> = {};
        if (action.retryAfterSeconds !== undefined) headers["retry-after"] = String(action.retryAfterSeconds);
        const reason = REASONS[action.status] ?? "Unknown";
        send(action.status, statusBody(action.status, reason, action.message ?? `injected ${action.status}`), headers);
        return;
      }

      const identity = this.authenticate(request);
      if (!identity) {
        send(401, statusBody(401, "Unauthorized", "Unauthorized"));
        return;
      }
      Object.assign(entry, identity);
      if (method !== "GET") {
        throw new HttpError(405, `the fake API server is read-only: ${method} is not allowed`);
      }
      const denied = this.authorize(route, url.pathname, entry);
      if (denied) {
        throw new HttpError(403, forbiddenMessage(identity.user, denied), {
          ...(route.name ? { name: route.name } : {}),
          ...(route.group ? { group: route.group } : {}),
          ...(route.plural ? { kind: route.plural } : {}),
        });
      }
      if (route.subresource !== undefined) {
        throw new HttpError(400, "Upgrade request required");
      }

      const body = this.serve(route, url);
      if (action?.type === "drop-mid-response") {
        // Chunked, with no Content-Length, as the real server sends large lists.
        entry.status = 200;
        const text = JSON.stringify(body);
        response.writeHead(200, { "content-type": "application/json" });
        response.write(text.slice(0, Math.floor(text.length / 2)));
        setTimeout(() => request.socket.destroy(), 20);
        return;
      }
      send(200, body);
    } catch (error) {
      if (error instanceof HttpError) {
        send(error.code, statusBody(error.code, REASONS[error.code] ?? "Unknown", error.message, error.details));
        return;
      }
      send(500, statusBody(500, "InternalError", String(error)));
    }
  }

  private serve(route: Route, url: URL): unknown {
    if (route.kind === "non-resource") {
      if (url.pathname === "/version") return this.versionInfo();
      throw new HttpError(404, "the server could not find the requested resource");
    }
    if (route.kind === "discovery") return this.discovery(url.pathname, route);

    const resource = route.resource;
    if (!resource) throw new HttpError(404, "the server could not find the requested resource");
    const candidates = this.objects.filter(
      (object) =>
        object.kind === resource.kind &&
        apiGroup(object.apiVersion) === resource.group &&
        (route.namespace === undefined || object.metadata.namespace === route.namespace),
    );

    if (route.name !== undefined) {
      const found = candidates.find((object) => object.metadata.name === route.name);
      if (!found) {
        const qualified = resource.group === "" ? resource.plural : `${resource.plural}.${resource.group}`;
        throw new HttpError(404, `${qualified} "${route.name}" not found`, {
          name: route.name,
          ...(resource.group ? { group: resource.group } : {}),
          kind: resource.plural,
        });
      }
      return this.present(found, resource, false);
    }
    return this.list(resource, candidates, url);
  }

  private list(resource: ServedResource, candidates: KubeObject[], url: URL): unknown {
    const selector = url.searchParams.get("labelSelector");
    let items = candidates;
    if (selector) {
      try {
        const requirements = parseLabelSelector(selector);
        items = items.filter((object) => matchesLabelSelector(requirements, object.metadata.labels));
      } catch (error) {
        if (error instanceof LabelSelectorError) throw new HttpError(400, error.message);
        throw error;
      }
    }
    const token = url.searchParams.get("continue");
    const start = token ? decodeContinue(token) : 0;
    const limitText = url.searchParams.get("limit");
    const limit = limitText ? Number.parseInt(limitText, 10) : 0;
    const end = limit > 0 ? Math.min(start + limit, items.length) : items.length;
    const page = items.slice(start, end);
    const metadata: Record<string, unknown> = { resourceVersion: String(this.resourceVersion) };
    if (end < items.length) {
      metadata.continue = encodeContinue(end);
      metadata.remainingItemCount = items.length - end;
    }
    return {
      kind: `${resource.kind}List`,
      apiVersion: resource.group === "" ? resource.version : `${resource.group}/${resource.version}`,
      metadata,
      items: page.map((object) => this.present(object, resource, true)),
    };
  }

  /** Built-in list items carry no apiVersion or kind on a real server; custom resources do. */
  private present(object: KubeObject, resource: ServedResource, inList: boolean): KubeObject {
    const copy = structuredClone(object);
    if (inList && isBuiltInGroup(resource.group)) {
      delete (copy as Partial<KubeObject>).apiVersion;
      delete (copy as Partial<KubeObject>).kind;
    }
    return copy;
  }

  private versionInfo(): Record<string, string> {
    const gitVersion = this.options.gitVersion ?? "v1.36.1";
    const match = /^v(\d+)\.(\d+)/.exec(gitVersion);
    return {
      major: match?.[1] ?? "1",
      minor: match?.[2] ?? "36",
      gitVersion,
      gitCommit: "0000000000000000000000000000000000000000",
      gitTreeState: "clean",
      buildDate: "2026-01-01T00:00:00Z",
      goVersion: "go1.25.0",
      compiler: "gc",
      platform: "linux/amd64",
    };
  }

  private discovery(path: string, route: Route): unknown {
    const resources = [...this.served.values()];
    if (path === "/api" || path === "/api/") {
      return {
        kind: "APIVersions",
        versions: ["v1"],
        serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: `127.0.0.1:${this.port}` }],
      };
    }
    if (path === "/apis" || path === "/apis/") {
      const groups = new Map<string, string[]>();
      for (const resource of resources) {
        if (resource.group === "") continue;
        const versions = groups.get(resource.group) ?? [];
        if (!versions.includes(resource.version)) versions.push(resource.version);
        groups.set(resource.group, versions);
      }
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [...groups].map(([name, versions]) => ({
          name,
          versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
          preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
        })),
      };
    }
    const inVersion = resources.filter(
      (resource) => resource.group === route.group && resource.version === route.version,
    );
    if (route.version === undefined || inVersion.length === 0) {
      throw new HttpError(404, "the server could not find the requested resource");
    }
    const resourceList = inVersion.flatMap((resource) => {
      const entry = {
        name: resource.plural,
        singularName: resource.kind.toLowerCase(),
        namespaced: resource.namespaced,
        kind: resource.kind,
        verbs: ["get", "list", "watch"],
      };
      if (resource.kind !== "Pod") return [entry];
      return [
        entry,
        { name: "pods/exec", singularName: "", namespaced: true, kind: "PodExecOptions", verbs: ["create", "get"] },
        {
          name: "pods/portforward",
          singularName: "",
          namespaced: true,
          kind: "PodPortForwardOptions",
          verbs: ["create", "get"],
        },
      ];
    });
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: route.group === "" ? route.version : `${route.group}/${route.version}`,
      resources: resourceList,
    };
  }

  private rejectUpgrade(socket: Duplex, entry: AuditEntry, code: number, message: string, details?: object): void {
    entry.status = code;
    const body = JSON.stringify(statusBody(code, REASONS[code] ?? "Unknown", message, details as never));
    socket.end(
      `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  private async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.openSockets.add(socket);
    socket.on("close", () => this.openSockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const url = new URL(request.url ?? "/", this.url);
    const entry = this.record(request, url);
    const route = this.route(request.method ?? "GET", url);
    entry.verb = route.verb;
    entry.resource = route.subresource ? `${route.plural}/${route.subresource}` : route.plural;
    entry.group = route.group;
    entry.namespace = route.namespace;
    entry.name = route.name;

    const { latencyMs, action } = this.takeFaults(request.method ?? "GET", url);
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (action?.type === "hang") return;
    if (action?.type === "drop" || action?.type === "drop-mid-response") {
      socket.destroy();
      return;
    }
    if (action?.type === "status") {
      this.rejectUpgrade(socket, entry, action.status, action.message ?? `injected ${action.status}`);
      return;
    }
    const identity = this.authenticate(request);
    if (!identity) {
      this.rejectUpgrade(socket, entry, 401, "Unauthorized");
      return;
    }
    Object.assign(entry, identity);

    const isPodSubresource =
      route.kind === "resource" &&
      route.resource?.kind === "Pod" &&
      route.name !== undefined &&
      (route.subresource === "exec" || route.subresource === "portforward");
    if (!isPodSubresource || route.namespace === undefined || route.name === undefined) {
      this.rejectUpgrade(socket, entry, 400, `the fake API server cannot upgrade ${url.pathname}`);
      return;
    }
    // Every release authorizes the WebSocket GET as `get` on the subresource; from Kubernetes 1.35
    // the AuthorizePodWebsocketUpgradeCreatePermission gate (on by default) also requires `create`.
    for (const verb of ["get", "create"]) {
      const denied = this.authorize(route, url.pathname, entry, verb);
      if (denied) {
        this.rejectUpgrade(socket, entry, 403, forbiddenMessage(identity.user, denied), {
          name: route.name,
          kind: "pods",
        });
        return;
      }
    }
    const pod = this.objects.find(
      (object) =>
        object.kind === "Pod" && object.metadata.namespace === route.namespace && object.metadata.name === route.name,
    );
    if (!pod) {
      this.rejectUpgrade(socket, entry, 404, `pods "${route.name}" not found`, { name: route.name, kind: "pods" });
      return;
    }
    const target = { namespace: route.namespace, pod: route.name };

    if (route.subresource === "exec") {
      const container = url.searchParams.get("container") ?? "";
      const argv = url.searchParams.getAll("command");
      entry.exec = { container, argv };
      const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])] as Array<{
        name: string;
      }>;
      if (!containers.some((candidate) => candidate.name === container)) {
        this.rejectUpgrade(socket, entry, 400, `container ${container} is not valid for pod ${route.name}`);
        return;
      }
      entry.status = 101;
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        void this.runExec(ws, { ...target, container, argv });
      });
      return;
    }

    const ports = url.searchParams.getAll("ports").flatMap((value) => value.split(",").map(Number));
    entry.portForward = { ports };
    if (ports.length === 0 || ports.some((port) => !Number.isInteger(port) || port < 1 || port > 65535)) {
      this.rejectUpgrade(socket, entry, 400, "at least one valid port is required for port-forward");
      return;
    }
    entry.status = 101;
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      void this.runPortForward(ws, target, ports);
    });
  }

  private async runExec(ws: WebSocket, call: ExecCall): Promise<void> {
    const frame = (channel: number, text: string) => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
    let result: ExecResult;
    try {
      result = this.options.exec
        ? await this.options.exec(call)
        : { stderr: "no exec handler registered in the fake API server\n", exitCode: 126 };
    } catch (error) {
      result = { stderr: `${String(error)}\n`, exitCode: 1 };
    }
    if (result.stdout) ws.send(frame(1, result.stdout));
    if (result.stderr) ws.send(frame(2, result.stderr));
    const exitCode = result.exitCode ?? 0;
    const status =
      exitCode === 0
        ? { metadata: {}, status: "Success" }
        : {
            metadata: {},
            status: "Failure",
            message: `command terminated with non-zero exit code: error executing command [${call.argv.join(" ")}], exit code ${exitCode}`,
            reason: "NonZeroExitCode",
            details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
          };
    ws.send(frame(3, JSON.stringify(status)));
    ws.close(1000);
  }

  private async runPortForward(ws: WebSocket, target: { namespace: string; pod: string }, ports: number[]) {
    const portBytes = (port: number) => Buffer.from([port & 0xff, (port >> 8) & 0xff]);
    const upstreams: Array<Socket | undefined> = [];
    const finished = new Set<number>();
    const finishOne = (index: number) => {
      finished.add(index);
      if (finished.size === ports.length && ws.readyState === ws.OPEN) ws.close(1000);
    };

    // Register the message handler first so data sent right after the handshake is not lost.
    const pending: Buffer[][] = ports.map(() => []);
    ws.on("message", (data: Buffer) => {
      const channel = data[0] ?? 0;
      if (channel === 0xff) {
        const closed = data[1] ?? 0;
        const upstream = upstreams[closed / 2];
        if (closed % 2 === 0 && upstream) upstream.end();
        return;
      }
      if (channel % 2 !== 0) return;
      const index = channel / 2;
      const upstream = upstreams[index];
      if (upstream) upstream.write(data.subarray(1));
      else pending[index]?.push(data.subarray(1));
    });
    ws.on("close", () => {
      for (const upstream of upstreams) upstream?.destroy();
    });

    for (const [index, port] of ports.entries()) {
      ws.send(Buffer.concat([Buffer.from([index * 2]), portBytes(port)]));
      ws.send(Buffer.concat([Buffer.from([index * 2 + 1]), portBytes(port)]));
    }
    for (const [index, port] of ports.entries()) {
      const reportError = (message: string) => {
        if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([index * 2 + 1]), Buffer.from(message)]));
        finishOne(index);
      };
      const destination = this.options.portForward ? await this.options.portForward({ ...target, port }) : undefined;
      if (!destination) {
        reportError(
          `error forwarding port ${port} to pod ${target.pod}: failed to connect to localhost:${port} inside namespace: connection refused`,
        );
        continue;
      }
      const upstream = connectTcp({ host: destination.host, port: destination.port });
      this.upstreams.add(upstream);
      upstreams[index] = upstream;
      for (const chunk of pending[index] ?? []) upstream.write(chunk);
      upstream.on("data", (chunk: Buffer) => {
        if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([index * 2]), chunk]));
      });
      upstream.on("error", (error) => reportError(`error forwarding port ${port}: ${error.message}`));
      upstream.on("close", () => {
        this.upstreams.delete(upstream);
        finishOne(index);
      });
    }
  }
}

export interface KubeconfigOptions {
  context?: string;
  token?: string;
  /** An exec credential plugin in place of a token. */
  exec?: { command: string; args?: string[] };
  /**
   * A client certificate in place of a token: PEM written inline as client-certificate-data and
   * client-key-data, or file paths written as client-certificate and client-key.
   */
  clientCertificate?: { certPem: string; keyPem: string } | { certFile: string; keyFile: string };
  /** Override the server URL, for example to point at a closed port. */
  server?: string;
}
