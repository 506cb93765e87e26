import type { PrometheusEvidence } from "../../collect/types.js";
import type { ClusterModel } from "../../model/cluster.js";

/**
 * - not-collected: no Prometheus was given (snapshot or run without `--prometheus`).
 * - error: a query failed.
 * - no-series: the queries returned no Istio series at all, so absence of plaintext proves nothing.
 * - no-mtls-control: series exist but none shows mTLS traffic, the positive control.
 * - measured: the data can be trusted to show plaintext callers.
 */
export type TelemetryStatus = "not-collected" | "error" | "no-series" | "no-mtls-control" | "measured";

/** One destination-side series with connection_security_policy="none" and traffic in the window. */
export interface PlaintextSeries {
  metric: string;
  destinationNamespace: string;
  destinationWorkload: string;
  sourceNamespace: string;
  sourceWorkload: string;
  value: number;
}

export interface TelemetryView {
  status: TelemetryStatus;
  url?: string;
  window?: string;
  /** The caller queries (requests and TCP connections). */
  items: PrometheusEvidence[];
  passthrough?: PrometheusEvidence;
  errors: string[];
  /** Series with mutual_tls traffic: the positive control. */
  mtlsSeries: number;
  plaintext: PlaintextSeries[];
}

/** Reads the Prometheus evidence of a run: which callers sent plaintext, and whether the data can be trusted. */
export function readTelemetry(model: ClusterModel): TelemetryView {
  const prometheus = model.evidence.filter((item): item is PrometheusEvidence => item.type === "prometheus-query");
  const items = prometheus.filter((item) => item.purpose === "requests" || item.purpose === "tcp-connections");
  const passthrough = prometheus.find((item) => item.purpose === "passthrough");
  const first = items[0];
  const view: TelemetryView = {
    status: "measured",
    url: first?.url,
    window: first?.window,
    items,
    passthrough,
    errors: items.filter((item) => item.error).map((item) => `${item.metric}: ${item.error?.message}`),
    mtlsSeries: 0,
    plaintext: [],
  };

  if (items.length === 0) return { ...view, status: "not-collected" };
  if (view.errors.length > 0) return { ...view, status: "error" };

  let series = 0;
  for (const item of items) {
    for (const sample of item.samples) {
      series++;
      if (sample.value <= 0) continue;
      const policy = sample.labels.connection_security_policy;
      if (policy === "mutual_tls") view.mtlsSeries++;
      if (policy === "none") {
        view.plaintext.push({
          metric: item.metric,
          destinationNamespace: sample.labels.destination_workload_namespace ?? "unknown",
          destinationWorkload: sample.labels.destination_workload ?? "unknown",
          sourceNamespace: sample.labels.source_workload_namespace ?? "unknown",
          sourceWorkload: sample.labels.source_workload ?? "unknown",
          value: sample.value,
        });
      }
    }
  }

  if (series === 0) return { ...view, status: "no-series" };
  if (view.mtlsSeries === 0 && view.plaintext.length === 0) return { ...view, status: "no-mtls-control" };
  return view;
}

/** Converts a Kubernetes (Go) duration such as `1h`, `15m` or `1h30m0s` to milliseconds; undefined when invalid or zero. */
export function goDurationMs(text: string | undefined): number | undefined {
  if (!text || !/^(\d+(\.\d+)?(h|m|s|ms))+$/.test(text)) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g))
    total += Number(match[1]) * (units[match[2] as string] ?? 0);
  return total > 0 ? total : undefined;
}
