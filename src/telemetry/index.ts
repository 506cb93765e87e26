export { PrometheusQueryError, type PrometheusTarget, parsePrometheusUrl, queryInstant } from "./prometheus.js";
export {
  addTelemetryEvidence,
  CALLER_LABELS,
  callerQuery,
  collectTelemetry,
  DEFAULT_TELEMETRY_WINDOW,
  formatSamples,
  parsePrometheusDuration,
  passthroughQuery,
  type TelemetryOptions,
  type TelemetryPurpose,
} from "./queries.js";
