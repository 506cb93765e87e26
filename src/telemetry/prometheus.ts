import type { CollectionFailureReason, PrometheusSample } from "../collect/types.js";
import { UserError } from "../errors.js";

/** The address and credentials of one Prometheus server, parsed once from the `--prometheus` URL. */
export interface PrometheusTarget {
  /** The URL of `/api/v1/query` under the given base URL, without credentials. */
  queryUrl: URL;
  /** The base URL for messages and evidence, with any password masked. */
  display: string;
  /** `Authorization` header built from credentials in the URL, when it had any. */
  authorization?: string;
}

/** A query that failed, with the reason in the same terms as collection issues. */
export class PrometheusQueryError extends Error {
  readonly reason: CollectionFailureReason;

  constructor(reason: CollectionFailureReason, message: string) {
    super(message);
    this.name = "PrometheusQueryError";
    this.reason = reason;
  }
}

/**
 * Parses the `--prometheus` base URL. Only http and https are accepted. A path prefix (Prometheus
 * behind `/prometheus`) is kept. Credentials in the URL are moved to a Basic `Authorization` header,
 * because fetch rejects URLs that carry them.
 */
export function parsePrometheusUrl(base: string): PrometheusTarget {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UserError(
      `invalid --prometheus URL "${base}": give the server's base URL, such as http://prometheus.monitoring:9090.`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UserError(`invalid --prometheus URL "${base}": the scheme must be http or https.`);
  }

  let authorization: string | undefined;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    url.username = "";
    url.password = "";
  }
  url.search = "";
  url.hash = "";

  const prefix = url.pathname.replace(/\/+$/, "");
  const display = authorization ? `${url.protocol}//****@${url.host}${prefix}` : `${url.origin}${prefix}`;
  return { queryUrl: new URL(`${prefix}/api/v1/query`, url.origin), display, authorization };
}

export interface InstantQueryOptions {
  /** Evaluation time; Prometheus uses its own clock when absent. */
  time?: Date;
  /** @default 30000 */
  timeoutMs?: number;
}

interface PrometheusResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/**
 * Runs one PromQL instant query with `GET /api/v1/query` and returns the vector's samples. Redirects
 * are rejected, so the request never goes anywhere but the URL given. Samples whose value is not a
 * finite number (NaN, ±Inf) are dropped.
 */
export async function queryInstant(
  target: PrometheusTarget,
  query: string,
  options: InstantQueryOptions = {},
): Promise<PrometheusSample[]> {
  const url = new URL(target.queryUrl);
  url.searchParams.set("query", query);
  if (options.time) url.searchParams.set("time", (options.time.getTime() / 1000).toFixed(3));

  const headers: Record<string, string> = { accept: "application/json" };
  if (target.authorization) headers.authorization = target.authorization;

  let response: Response;
  try {
    response = await fetch(url, {
      method: "GET",
      headers,
      redirect: "error",
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw fetchFailure(error, target.display, options.timeoutMs ?? 30_000);
  }

  const text = await response.text();
  let body: PrometheusResponse | undefined;
  try {
    body = JSON.parse(text) as PrometheusResponse;
  } catch {
    body = undefined;
  }

  if (!response.ok || body?.status !== "success") {
    const detail = body?.error
      ? `${body.errorType ?? "error"}: ${body.error}`
      : text.slice(0, 200).trim() || response.statusText;
    throw new PrometheusQueryError(
      reasonForStatus(response.status, body),
      `${target.display} answered HTTP ${response.status}: ${detail}`,
    );
  }
  return samplesOf(body, target.display);
}

function samplesOf(body: PrometheusResponse, display: string): PrometheusSample[] {
  const data = body.data;
  if (data?.resultType !== "vector" || !Array.isArray(data.result)) {
    throw new PrometheusQueryError(
      "invalid-response",
      `${display} returned a ${data?.resultType ?? "missing"} result where a vector was expected`,
    );
  }
  const samples: PrometheusSample[] = [];
  for (const item of data.result as Array<{ metric?: Record<string, string>; value?: [number, string] }>) {
    const value = Number(item.value?.[1]);
    if (!Number.isFinite(value)) continue;
    samples.push({ labels: { ...(item.metric ?? {}) }, value });
  }
  return samples;
}

function reasonForStatus(status: number, body: PrometheusResponse | undefined): CollectionFailureReason {
  if (status === 401 || status === 403) return "forbidden";
  if (status === 404) return "not-found";
  if (status === 429) return "throttled";
  if (status === 503 && body?.errorType === "timeout") return "timeout";
  if (status >= 500) return "server-error";
  return "invalid-response";
}

function fetchFailure(error: unknown, display: string, timeoutMs: number): PrometheusQueryError {
  const name = (error as { name?: string }).name;
  if (name === "TimeoutError" || name === "AbortError") {
    return new PrometheusQueryError("timeout", `${display} timed out: no response within ${timeoutMs / 1000} s`);
  }
  // Node's fetch reports refused connections, DNS failures and rejected redirects as a TypeError
  // whose `cause` carries the system error.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.message?.includes("redirect")) {
    return new PrometheusQueryError(
      "invalid-response",
      `${display} answered with a redirect, which meshproof does not follow: give the final URL`,
    );
  }
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return new PrometheusQueryError("unreachable", `could not reach ${display}: ${detail}`);
}
