import type { CollectedState, PrometheusEvidence, PrometheusSample } from "../collect/types.js";
import { UserError } from "../errors.js";
import { PrometheusQueryError, parsePrometheusUrl, queryInstant } from "./prometheus.js";

/**
 * The measure of each telemetry query. `requests` and `tcp-connections` are the destination-side
 * reports of Istio's standard metrics, split by connection_security_policy (mutual_tls or none);
 * `passthrough` is source-side traffic to destinations outside the registry.
 */
export type TelemetryPurpose = "requests" | "tcp-connections" | "passthrough";

/** The window checks and the CLI use when the user gives none: one day covers hourly refreshes and daily jobs. */
export const DEFAULT_TELEMETRY_WINDOW = "24h";

/** Labels the caller queries group by: who called whom, and whether the hop was mTLS. */
export const CALLER_LABELS = [
  "destination_workload_namespace",
  "destination_workload",
  "source_workload",
  "source_workload_namespace",
  "connection_security_policy",
] as const;

const DURATION_UNITS_MS: Record<string, number> = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

/** Milliseconds in a Prometheus duration such as `24h` or `1h30m`; undefined when the text is not one. */
export function parsePrometheusDuration(text: string): number | undefined {
  if (!/^(\d+(ms|y|w|d|h|m|s))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/(\d+)(ms|y|w|d|h|m|s)/g)) {
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] ?? 0);
  }
  return total > 0 ? total : undefined;
}

/** Builds the destination-side traffic query of one Istio metric over a window. */
export function callerQuery(
  metric: "istio_requests_total" | "istio_tcp_connections_opened_total",
  window: string,
): string {
  return `sum by (${CALLER_LABELS.join(", ")}) (increase(${metric}{reporter="destination"}[${window}]))`;
}

/** Source-side connections that went to PassthroughCluster: destinations a REGISTRY_ONLY switch would cut. */
export function passthroughQuery(window: string): string {
  return `sum by (source_workload_namespace, source_workload, destination_service_name) (increase(istio_tcp_connections_opened_total{reporter="source",destination_service_name="PassthroughCluster"}[${window}]))`;
}

interface QuerySpec {
  purpose: TelemetryPurpose;
  metric: string;
  query: string;
}

function querySpecs(window: string): QuerySpec[] {
  return [
    { purpose: "requests", metric: "istio_requests_total", query: callerQuery("istio_requests_total", window) },
    {
      purpose: "tcp-connections",
      metric: "istio_tcp_connections_opened_total",
      query: callerQuery("istio_tcp_connections_opened_total", window),
    },
    { purpose: "passthrough", metric: "istio_tcp_connections_opened_total", query: passthroughQuery(window) },
  ];
}

export interface TelemetryOptions {
  /** Evaluation time of every query, the end of the window. @default the current time */
  now?: Date;
  /** Timeout of each query. @default 30000 */
  timeoutMs?: number;
}

/**
 * Runs the plaintext-caller queries against one Prometheus and returns one evidence item per query.
 * A failed query becomes an item with `error`, never an exception, so checks report it as unknown.
 * Throws UserError only for an invalid URL or window.
 */
export async function collectTelemetry(
  url: string,
  window: string,
  options: TelemetryOptions = {},
): Promise<PrometheusEvidence[]> {
  if (parsePrometheusDuration(window) === undefined) {
    throw new UserError(
      `invalid --prometheus-window "${window}": give a Prometheus duration such as 24h, 7d or 1h30m.`,
    );
  }
  const target = parsePrometheusUrl(url);
  const now = options.now ?? new Date();

  const items: PrometheusEvidence[] = [];
  for (const spec of querySpecs(window)) {
    const started = Date.now();
    const base = {
      id: `prometheus:${spec.purpose}`,
      type: "prometheus-query" as const,
      command: `curl -sG '${target.display}/api/v1/query' --data-urlencode 'query=${spec.query}'`,
      at: new Date().toISOString(),
      attempts: 1,
      url: target.display,
      purpose: spec.purpose,
      metric: spec.metric,
      query: spec.query,
      window,
      evaluatedAt: now.toISOString(),
    };
    try {
      const samples = await queryInstant(target, spec.query, { time: now, timeoutMs: options.timeoutMs });
      items.push({ ...base, durationMs: Date.now() - started, output: formatSamples(samples), samples });
    } catch (error) {
      if (!(error instanceof PrometheusQueryError)) throw error;
      items.push({
        ...base,
        durationMs: Date.now() - started,
        output: "",
        samples: [],
        error: { reason: error.reason, message: error.message },
      });
    }
  }
  return items;
}

/**
 * Runs the telemetry queries and adds their evidence to a collected state, replacing evidence of
 * the same queries that a snapshot may already hold. Does nothing when no URL is given.
 */
export async function addTelemetryEvidence(
  state: CollectedState,
  options: { prometheus?: string; prometheusWindow?: string } & TelemetryOptions,
): Promise<void> {
  if (!options.prometheus) return;
  const items = await collectTelemetry(
    options.prometheus,
    options.prometheusWindow ?? DEFAULT_TELEMETRY_WINDOW,
    options,
  );
  const replaced = new Set(items.map((item) => item.id));
  state.evidence = [...state.evidence.filter((item) => !replaced.has(item.id)), ...items];
}

/** Samples as a table: one line per series with its labels and value, as the Prometheus console lists them. */
export function formatSamples(samples: readonly PrometheusSample[]): string {
  if (samples.length === 0) return "(no series)";
  return samples
    .map((sample) => {
      const labels = Object.entries(sample.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => `${key}="${value}"`)
        .join(",");
      return `{${labels}} ${Number.isInteger(sample.value) ? sample.value : sample.value.toFixed(2)}`;
    })
    .join("\n");
}
