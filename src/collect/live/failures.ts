import { maskCredentials } from "../redact.js";
import type { CollectionFailureReason } from "../types.js";

/**
 * Classification of request failures into collection reasons, and the retry loop that every API
 * request goes through. Failures end up as CollectionIssue or evidence errors, never as exceptions
 * that stop the run.
 */

/** A request that failed for good, after any retries. */
export class RequestFailure extends Error {
  constructor(
    readonly reason: CollectionFailureReason,
    message: string,
    readonly attempts: number,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "RequestFailure";
  }
}

export interface ClassifiedFailure {
  reason: CollectionFailureReason;
  message: string;
  /** HTTP status, when the server sent a response. */
  status?: number;
  retryable: boolean;
  retryAfterMs?: number;
}

export interface RetryPolicy {
  /** Attempts per request, the first included. @default 4 */
  maxAttempts: number;
  /** Backoff before the second attempt, doubled before each later one. @default 500 */
  baseDelayMs: number;
  /** Maximum wait between attempts, also the cap on a server's Retry-After. @default 30000 */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
]);
const DROPPED_CODES = new Set(["ECONNRESET", "EPIPE", "ERR_STREAM_PREMATURE_CLOSE", "ECONNABORTED", "ETIMEDOUT"]);
const TLS_CODE = /^(CERT_|SELF_SIGNED_|UNABLE_TO_|DEPTH_ZERO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  type?: unknown;
  body?: unknown;
  headers?: unknown;
  cause?: unknown;
}

function asErrorLike(error: unknown): ErrorLike {
  return typeof error === "object" && error !== null ? (error as ErrorLike) : { message: String(error) };
}

/** Parse a Retry-After header: delay-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Extract the `message` of a Kubernetes Status body, which client-node passes as a JSON string. */
export function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() === "" ? undefined : body.trim().slice(0, 500);
    }
  }
  if (typeof parsed === "object" && parsed !== null && typeof (parsed as { message?: unknown }).message === "string") {
    return (parsed as { message: string }).message;
  }
  return undefined;
}

/** Map an HTTP status to a reason. 429 and 5xx are worth another attempt. */
export function classifyStatus(status: number, detail: string | undefined, retryAfterMs?: number): ClassifiedFailure {
  const suffix = detail ? `: ${detail}` : "";
  if (status === 401) {
    return {
      reason: "forbidden",
      status,
      retryable: false,
      message: `401 Unauthorized: the API server rejected the credentials${suffix}`,
    };
  }
  if (status === 403) return { reason: "forbidden", status, retryable: false, message: `403 Forbidden${suffix}` };
  if (status === 404) return { reason: "not-found", status, retryable: false, message: `404 Not Found${suffix}` };
  if (status === 429) {
    return { reason: "throttled", status, retryable: true, retryAfterMs, message: `429 Too Many Requests${suffix}` };
  }
  if (status >= 500) {
    return { reason: "server-error", status, retryable: true, retryAfterMs, message: `HTTP ${status}${suffix}` };
  }
  return { reason: "invalid-response", status, retryable: false, message: `HTTP ${status}${suffix}` };
}

function systemCode(error: ErrorLike): string | undefined {
  for (const candidate of [error.code, error.errno, asErrorLike(error.cause).code]) {
    if (typeof candidate === "string") return candidate;
  }
  return undefined;
}

/**
 * Classify an error thrown by client-node, node-fetch, node:http or the global fetch. client-node
 * rejects HTTP errors with ApiException (`code` is the status, `body` the Status JSON as a string,
 * `headers` the response headers) and network errors with node-fetch's FetchError (`code` such as
 * ECONNREFUSED). A fired AbortSignal gives an AbortError or a TimeoutError.
 *
 * NOTE: node-fetch 2.7, which client-node 1.4 uses, notices a connection closed mid-body only for
 * chunked responses. When the response had a Content-Length, the read stalls until the request
 * timeout fires, so that drop is reported as a timeout.
 */
export function classifyError(error: unknown): ClassifiedFailure {
  const like = asErrorLike(error);
  let message = typeof like.message === "string" ? like.message : String(error);
  // The global fetch rejects with a bare "fetch failed" and puts the system error in `cause`.
  const cause = asErrorLike(like.cause);
  if (message === "fetch failed" && typeof cause.message === "string") message = cause.message;

  if (like.name === "AbortError" || like.name === "TimeoutError" || like.type === "aborted") {
    return { reason: "timeout", retryable: false, message: "the request timed out" };
  }
  if (error instanceof RequestFailure) {
    return { reason: error.reason, status: error.status, retryable: false, message: error.message };
  }
  if (typeof like.code === "number" && like.code >= 100 && like.code < 600) {
    const headers = (like.headers ?? {}) as Record<string, string>;
    const retryAfterMs = parseRetryAfter(headers["retry-after"]);
    return classifyStatus(like.code, statusMessage(like.body), retryAfterMs);
  }

  const code = systemCode(like);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return { reason: "unreachable", retryable: true, message: `connection failed (${code}): ${message}` };
  }
  if (code !== undefined && DROPPED_CODES.has(code)) {
    return { reason: "connection-dropped", retryable: true, message: `connection dropped (${code}): ${message}` };
  }
  if (/premature close|socket hang up|other side closed|terminated/i.test(message)) {
    return { reason: "connection-dropped", retryable: true, message: `connection dropped: ${message}` };
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return { reason: "unreachable", retryable: false, message: `TLS handshake failed (${code}): ${message}` };
  }
  if (like.name === "SyntaxError" || like.type === "invalid-json") {
    return { reason: "invalid-response", retryable: false, message: `the response is not valid JSON: ${message}` };
  }
  return { reason: "unreachable", retryable: false, message };
}

/** Format milliseconds in seconds, the unit of --request-timeout: 15000 gives "15 s" and 500 gives "0.5 s". */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Compute the delay before attempt `attempt + 1`, honouring the server's Retry-After within the policy's cap. */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(policy.maxDelayMs, Math.max(exponential, retryAfterMs ?? 0));
}

export interface RetryOutcome<T> {
  value: T;
  attempts: number;
}

/**
 * Run `request` until it succeeds, fails with a reason that is not worth retrying, or uses up the
 * policy's attempts. Throws RequestFailure with the attempt count, with credentials in its message masked.
 */
export async function withRetry<T>(
  request: () => Promise<T>,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void> = defaultSleep,
): Promise<RetryOutcome<T>> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { value: await request(), attempts: attempt };
    } catch (error) {
      const failure = classifyError(error);
      if (!failure.retryable || attempt >= policy.maxAttempts) {
        const tries = attempt > 1 ? ` (after ${attempt} attempts)` : "";
        throw new RequestFailure(
          failure.reason,
          maskCredentials(`${failure.message}${tries}`),
          attempt,
          failure.status,
          failure.retryAfterMs,
        );
      }
      await sleep(backoffDelay(policy, attempt, failure.retryAfterMs));
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
