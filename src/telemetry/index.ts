export {
  CALLER_LABELS,
  DEFAULT_TELEMETRY_WINDOW,
  type TelemetryOptions,
  type TelemetryPurpose,
  addTelemetryEvidence,
  callerQuery,
  collectTelemetry,
  formatSamples,
  parsePrometheusDuration,
  passthroughQuery,
} from "./queries.js";
export { PrometheusQueryError, type PrometheusTarget, parsePrometheusUrl, queryInstant } from "./prometheus.js";
