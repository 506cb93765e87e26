import { once } from "node:events";
import { Agent, request as httpRequest } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { Writable } from "node:stream";
import type * as k8s from "@kubernetes/client-node";
import type { KubernetesClientModule } from "./client.js";
import { type ClassifiedFailure, classifyError, classifyStatus, formatSeconds } from "./failures.js";

/**
 * HTTP GETs to admin ports inside a pod through the API server's port-forward subresource. Only the
 * requests in ADMIN_REQUESTS can be made, as assertAllowedAdminRequest() checks. Envoy's admin API
 * and istiod's debug port also serve requests that change state (`/quitquitquit`, `/drain_listeners`,
 * `/debug/force_disconnect`), and those must never be reachable from here.
 */

export const ENVOY_ADMIN_PORT = 15000;
export const ISTIOD_MONITORING_PORT = 15014;

export const ADMIN_REQUESTS: ReadonlyArray<{ port: number; path: string }> = [
  { port: ENVOY_ADMIN_PORT, path: "/config_dump?resource=dynamic_active_secrets" },
  { port: ENVOY_ADMIN_PORT, path: "/certs" },
  { port: ISTIOD_MONITORING_PORT, path: "/debug/mesh" },
];

/** Maximum response body read through a forward, so a misbehaving endpoint cannot exhaust memory. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export class DisallowedAdminRequestError extends Error {
  constructor(method: string, port: number, path: string) {
    super(`refusing ${method} ${path} on port ${port}: only allowlisted read-only admin requests may be sent`);
    this.name = "DisallowedAdminRequestError";
  }
}

/** Throws DisallowedAdminRequestError unless this is a GET in ADMIN_REQUESTS, compared exactly. */
export function assertAllowedAdminRequest(method: string, port: number, path: string): void {
  const allowed = method === "GET" && ADMIN_REQUESTS.some((request) => request.port === port && request.path === path);
  if (!allowed) throw new DisallowedAdminRequestError(method, port, path);
}

export interface PodPort {
  namespace: string;
  pod: string;
  port: number;
}

export interface AdminResponse {
  path: string;
  status: number;
  body: string;
}

/** A failure of a forwarded request, classified, with what the forward itself reported. */
export class PortForwardFailure extends Error {
  constructor(readonly failure: ClassifiedFailure) {
    super(failure.message);
    this.name = "PortForwardFailure";
  }
}

interface ForwardSocket {
  close(): void;
  on(event: "close", listener: () => void): void;
}

/**
 * A local listener on 127.0.0.1 that opens one port-forward WebSocket per incoming connection, the
 * pattern `kubectl port-forward` uses. Errors from the handshake and from the forward's error
 * channel are kept, so a failed request can report why the tunnel failed.
 */
class PortForwardTunnel {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly webSockets = new Set<ForwardSocket>();
  handshakeError: unknown;
  readonly errorChannel: Buffer[] = [];

  constructor(client: KubernetesClientModule, config: k8s.KubeConfig, target: PodPort) {
    const forward = new client.PortForward(config);
    const errors = this.errorChannel;
    const errorSink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        errors.push(Buffer.from(chunk));
        callback();
      },
    });

    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      forward
        .portForward(target.namespace, target.pod, [target.port], socket, errorSink, socket)
        .then((result) => {
          // With the default retryCount of 0, portForward resolves to the WebSocket itself.
          const ws = result as unknown as ForwardSocket;
          this.webSockets.add(ws);
          // client-node does not end the local socket when the forward closes, so do it here.
          ws.on("close", () => {
            this.webSockets.delete(ws);
            socket.end();
          });
          socket.on("close", () => ws.close());
        })
        .catch((error: unknown) => {
          this.handshakeError = error;
          socket.destroy();
        });
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("port-forward listener has no TCP port");
    return address.port;
  }

  async close(): Promise<void> {
    for (const ws of this.webSockets) ws.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  errorChannelText(): string {
    return Buffer.concat(this.errorChannel).toString("utf8").trim();
  }
}

function getOnce(port: number, path: string, timeoutMs: number, agent: Agent): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        method: "GET",
        agent,
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            request.destroy(new Error(`response larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on("end", () => {
          if (!response.complete) {
            reject(Object.assign(new Error("response ended before it was complete"), { code: "ECONNRESET" }));
            return;
          }
          resolve({ path, status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end();
  });
}

/** Classify a failed forwarded request, using what the handshake or the error channel reported. */
function classifyForwardError(
  error: unknown,
  tunnel: PortForwardTunnel,
  target: PodPort,
  path: string,
  timeoutMs: number,
): ClassifiedFailure {
  const where = `${target.namespace}/${target.pod}:${target.port}`;
  const handshake = tunnel.handshakeError as { message?: unknown; error?: unknown } | undefined;
  if (handshake !== undefined) {
    const text = typeof handshake.message === "string" ? handshake.message : String(handshake);
    const status = /Unexpected server response: (\d{3})/.exec(text);
    if (status) {
      const code = Number(status[1]);
      if (code === 403) {
        return {
          reason: "forbidden",
          status: code,
          retryable: false,
          message: `403 Forbidden: port-forward to ${where} was denied. Grant get and create on pods/portforward (see deploy/rbac.yaml)`,
        };
      }
      return classifyStatus(code, `port-forward to ${where} was rejected`);
    }
    const classified = classifyError(handshake.error ?? handshake);
    return { ...classified, message: `port-forward to ${where} failed: ${classified.message}` };
  }
  const channel = tunnel.errorChannelText();
  if (channel !== "") {
    return { reason: "unreachable", retryable: false, message: `port-forward to ${where} failed: ${channel}` };
  }
  const classified = classifyError(error);
  if (classified.reason === "timeout") {
    return {
      ...classified,
      message: `GET ${path} through port-forward to ${where} timed out after ${formatSeconds(timeoutMs)}. Raise --request-timeout SECONDS if the pod is slow to respond.`,
    };
  }
  return { ...classified, message: `GET through port-forward to ${where} failed: ${classified.message}` };
}

/**
 * GET each path on the pod's port through one port-forward listener, in order, and close everything
 * afterwards. Every path is checked against the allowlist before anything is opened.
 */
export async function getThroughPortForward(
  client: KubernetesClientModule,
  config: k8s.KubeConfig,
  target: PodPort,
  paths: readonly string[],
  timeoutMs: number,
): Promise<AdminResponse[]> {
  for (const path of paths) assertAllowedAdminRequest("GET", target.port, path);

  const tunnel = new PortForwardTunnel(client, config, target);
  const localPort = await tunnel.listen();
  // One kept-alive connection carries every path, so the pod costs one port-forward WebSocket.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const responses: AdminResponse[] = [];
    for (const path of paths) {
      try {
        responses.push(await getOnce(localPort, path, timeoutMs, agent));
      } catch (error) {
        throw new PortForwardFailure(classifyForwardError(error, tunnel, target, path, timeoutMs));
      }
    }
    return responses;
  } finally {
    agent.destroy();
    await tunnel.close();
  }
}
