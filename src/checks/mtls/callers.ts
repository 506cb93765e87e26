import { maskCredentials } from "../../collect/redact.js";
import type { ClusterModel, PodView, WorkloadView } from "../../model/cluster.js";
import type { KubeObject, LabelSelector, Probe } from "../../model/kube.js";
import { objectSubject } from "../../model/kube.js";
import type { MtlsMode } from "../../model/mtls.js";
import { matchesSelector } from "../../model/selectors.js";
import type { RolloutPlan } from "../../plan/schema.js";
import type { Verdict } from "../types.js";
import { type MtlsAnalysis, mtlsAnalysisOf } from "./dry-run.js";
import { findIngressController, ingressRoutes, SERVICE_UPSTREAM } from "./ingress.js";
import {
  appContainers,
  findWorkloadByName,
  PROXY_PORTS,
  resolveContainerPort,
  type ServiceIndex,
  serviceIndexOf,
  uncapturedPorts,
} from "./ports.js";
import { readTelemetry, type TelemetryView } from "./telemetry.js";

/** The source that revealed a plaintext caller. */
export type CallerSource =
  | "telemetry"
  | "ingress"
  | "scraper"
  | "secret-store"
  | "probe"
  | "uncaptured-port"
  | "host-network"
  | "unmeshed-client";

/** A caller that reaches a workload port without mTLS, and what the STRICT flip would do to it. */
export interface PlaintextCaller {
  /** `Kind ns/name` of the workload called; a namespace subject when only the caller is known. */
  target: string;
  targetMeshed: boolean;
  /** Container port called; absent when the source cannot tell (Istio's standard metrics carry no port). */
  port?: number;
  caller: string;
  source: CallerSource;
  /** The chain of objects or the metric sample that shows the call. */
  evidence: string;
  today?: MtlsMode;
  after?: MtlsMode;
  /** True when the flip to STRICT would reject this caller. */
  blocksStrict: boolean;
  /** The reason the caller does not block, or the policy that keeps it working. */
  note?: string;
  verdict: Verdict;
  hint?: string;
}

export interface CallerReport {
  callers: PlaintextCaller[];
  telemetry: TelemetryView;
  /** Objects the structural search read, for evidence tables. */
  read: { ingresses: string[][]; monitors: string[][]; stores: string[][]; probes: string[][] };
}

/**
 * Judges one caller of one workload port: under today's mode and after the STRICT flip. A target
 * without a sidecar is never affected by PeerAuthentication, so its callers never block the flip.
 */
export function judgeCaller(
  analysis: MtlsAnalysis,
  target: WorkloadView,
  port: number | undefined,
): Pick<PlaintextCaller, "today" | "after" | "blocksStrict" | "note" | "verdict" | "targetMeshed"> {
  const entry = analysis.of(target.subject);
  if (!target.meshed || !entry) {
    const exception = entry?.today.workload;
    const inert = exception ? ` Its exception ${exception} is inert until ${target.name} is meshed.` : "";
    return {
      targetMeshed: false,
      blocksStrict: false,
      verdict: "info",
      note: `Not blocking: ${target.name} has no sidecar, so STRICT cannot affect it.${inert}`,
    };
  }

  const ports =
    port !== undefined
      ? [analysis.portMode(target.subject, port)].filter((mode) => mode !== undefined)
      : entry.ports.filter((mode) => mode.captured);
  if (ports.length === 0) {
    return judgeModes(entry.today.mode, entry.after.mode, true, entry.after.workload);
  }
  if (port !== undefined && ports[0] && !ports[0].captured) {
    return {
      targetMeshed: true,
      today: ports[0].today,
      after: ports[0].after,
      blocksStrict: false,
      verdict: "info",
      note: `Not blocking: port ${port} is not captured by the sidecar, so no PeerAuthentication applies to it (see the uncaptured-port finding).`,
    };
  }
  const strictToday = ports.find((mode) => mode.today === "STRICT");
  const strictAfter = ports.find((mode) => mode.after === "STRICT");
  const chosen = strictToday ?? strictAfter ?? ports[0];
  return judgeModes(chosen?.today ?? entry.today.mode, chosen?.after ?? entry.after.mode, true, entry.after.workload);
}

function judgeModes(today: MtlsMode, after: MtlsMode, meshed: boolean, exception: string | undefined) {
  if (today === "STRICT") {
    return {
      targetMeshed: meshed,
      today,
      after,
      blocksStrict: true,
      verdict: "fail" as const,
      note: "The port is STRICT today, so this caller is rejected now.",
    };
  }
  if (after === "STRICT") {
    return {
      targetMeshed: meshed,
      today,
      after,
      blocksStrict: true,
      verdict: "warn" as const,
      note: `Works today (${today}); the STRICT flip would reject it.`,
    };
  }
  const keeper = exception ? ` because of ${exception}` : "";
  return {
    targetMeshed: meshed,
    today,
    after,
    blocksStrict: false,
    verdict: "info" as const,
    note: `Not blocking: the port stays ${after} after the flip${keeper}.`,
  };
}

/** Formats a caller's name followed by its workload subject, or a fallback when the workload is not in the objects. */
function describeCaller(name: string, workload: WorkloadView | undefined, fallback: string): string {
  return `${name} (${workload?.subject ?? fallback})`;
}

/** Finds every plaintext caller: from Prometheus evidence when present, and from the cluster's structure always. */
export function findPlaintextCallers(model: ClusterModel, plan: RolloutPlan | undefined): CallerReport {
  const analysis = mtlsAnalysisOf(model);
  const index = serviceIndexOf(model);
  const report: CallerReport = {
    callers: [],
    telemetry: readTelemetry(model),
    read: { ingresses: [], monitors: [], stores: [], probes: [] },
  };

  ingressCallers(model, plan, analysis, index, report);
  scraperCallers(model, analysis, index, report);
  secretStoreCallers(model, plan, analysis, index, report);
  podLevelCallers(model, plan, analysis, report);
  telemetryCallers(model, analysis, report);
  unnamedClientNamespaces(model, plan, report);
  return report;
}

function ingressCallers(
  model: ClusterModel,
  plan: RolloutPlan | undefined,
  analysis: MtlsAnalysis,
  index: ServiceIndex,
  report: CallerReport,
): void {
  const controller = findIngressController(model, plan);
  const controllerMeshed = controller?.meshed === true;
  const hostNetwork =
    controller?.template?.spec.hostNetwork === true || controller?.pods.some((pod) => pod.hostNetwork) === true;
  const callerName = `${describeCaller("ingress-nginx", controller, "controller not found in the objects")}${hostNetwork ? ", which runs with hostNetwork and can never carry a sidecar" : ""}`;

  for (const route of ingressRoutes(model, index)) {
    const upstream = route.ingress.metadata.annotations?.[SERVICE_UPSTREAM] === "true";
    report.read.ingresses.push([
      route.ingress.metadata.namespace ?? "",
      route.ingress.metadata.name,
      `${route.serviceName}:${route.servicePort}`,
      route.containerPort !== undefined ? String(route.containerPort) : "-",
      route.workload?.subject ?? route.broken ?? "-",
      upstream ? "true" : "(unset)",
    ]);
    if (!route.workload || route.containerPort === undefined) continue;
    if (!route.workload.meshed) continue;
    // A meshed controller that sends to the Service gets auto mTLS; one that sends to pod IPs with
    // the public Host header misses the Service route and goes out in plaintext.
    if (controllerMeshed && upstream) continue;

    const judged = judgeCaller(analysis, route.workload, route.containerPort);
    const path = upstream ? "the Service ClusterIP (service-upstream)" : "pod IPs (no service-upstream annotation)";
    report.callers.push({
      target: route.workload.subject,
      port: route.containerPort,
      caller: callerName,
      source: "ingress",
      evidence: `${route.ingressSubject} → Service ${route.ingress.metadata.namespace}/${route.serviceName}:${route.servicePort} → container port ${route.containerPort}; nginx sends to ${path}`,
      ...judged,
      hint: judged.blocksStrict
        ? `Mesh ingress-nginx first (phase mesh-ingress: service-upstream and upstream-vhost on every Ingress), or exempt port ${route.containerPort} with portLevelMtls PERMISSIVE on a PeerAuthentication that selects ${route.workload.name}.`
        : undefined,
    });
  }
}

interface MonitorEndpoint {
  port?: string;
  portNumber?: number;
  targetPort?: number | string;
  scheme?: string;
  tlsConfig?: Record<string, unknown>;
}

function namespacesOf(monitor: KubeObject): { any: boolean; names: string[] } {
  const selector = monitor.spec?.namespaceSelector as { any?: boolean; matchNames?: string[] } | undefined;
  if (selector?.any) return { any: true, names: [] };
  if (selector?.matchNames?.length) return { any: false, names: selector.matchNames };
  return { any: false, names: [monitor.metadata.namespace ?? "default"] };
}

/** Tells whether a scrape uses HTTPS with client certificates, as Istio's Prometheus integration does to pass STRICT. */
function scrapesWithCertificates(endpoint: MonitorEndpoint): boolean {
  const tls = endpoint.tlsConfig ?? {};
  return endpoint.scheme === "https" && (tls.certFile !== undefined || tls.cert !== undefined);
}

function scraperCallers(model: ClusterModel, analysis: MtlsAnalysis, index: ServiceIndex, report: CallerReport): void {
  const add = (pod: PodView, port: number | undefined, caller: string, evidence: string) => {
    if (port === undefined || PROXY_PORTS.has(port) || pod.sidecar.kind === "none") return;
    const workload = model.workload(pod.workload);
    if (!workload) return;
    const judged = judgeCaller(analysis, workload, port);
    report.callers.push({
      target: workload.subject,
      port,
      caller,
      source: "scraper",
      evidence,
      ...judged,
      hint: judged.blocksStrict
        ? "Scrape the sidecar's merged endpoint on 15020 (/stats/prometheus, with meshConfig.enablePrometheusMerge) instead of the app port, or give Prometheus Istio certificates: https://istio.io/latest/docs/ops/integrations/prometheus/"
        : undefined,
    });
  };

  for (const monitor of model.list("ServiceMonitor")) {
    const scope = namespacesOf(monitor);
    const selector = monitor.spec?.selector as LabelSelector | undefined;
    const services = scope.any ? index.allServices() : scope.names.flatMap((name) => index.servicesIn(name));
    const endpoints = (monitor.spec?.endpoints ?? []) as MonitorEndpoint[];
    report.read.monitors.push([
      objectSubject(monitor),
      JSON.stringify(selector?.matchLabels ?? {}),
      endpoints.map((e) => e.port ?? e.targetPort ?? "?").join(","),
    ]);
    for (const service of services) {
      if (!matchesSelector(selector ?? {}, service.metadata.labels)) continue;
      const ports = (service.spec?.ports ?? []) as Array<{
        port?: number;
        name?: string;
        targetPort?: number | string;
      }>;
      for (const endpoint of endpoints) {
        if (scrapesWithCertificates(endpoint)) continue;
        const servicePort =
          endpoint.port !== undefined ? ports.find((candidate) => candidate.name === endpoint.port) : undefined;
        for (const pod of index.podsOf(service)) {
          const target = servicePort ? (servicePort.targetPort ?? servicePort.port) : endpoint.targetPort;
          const port = resolveContainerPort(pod, target);
          add(
            pod,
            port,
            `Prometheus, through ${objectSubject(monitor)}`,
            `${objectSubject(monitor)} → ${objectSubject(service)} port ${endpoint.port ?? endpoint.targetPort} → container port ${port} (scheme ${endpoint.scheme ?? "http"})`,
          );
        }
      }
    }
  }

  for (const monitor of model.list("PodMonitor")) {
    const scope = namespacesOf(monitor);
    const selector = (monitor.spec?.selector ?? {}) as LabelSelector;
    const pods = scope.any
      ? model.podsMatching(selector)
      : scope.names.flatMap((name) => model.podsMatching(selector, name));
    const endpoints = (monitor.spec?.podMetricsEndpoints ?? []) as MonitorEndpoint[];
    report.read.monitors.push([
      objectSubject(monitor),
      JSON.stringify(selector.matchLabels ?? {}),
      endpoints.map((e) => e.port ?? e.portNumber ?? e.targetPort ?? "?").join(","),
    ]);
    for (const pod of pods) {
      for (const endpoint of endpoints) {
        if (scrapesWithCertificates(endpoint)) continue;
        const port = endpoint.portNumber ?? resolveContainerPort(pod, endpoint.port ?? endpoint.targetPort);
        add(
          pod,
          port,
          `Prometheus, through ${objectSubject(monitor)}`,
          `${objectSubject(monitor)} → ${pod.subject} port ${endpoint.port ?? endpoint.portNumber ?? endpoint.targetPort} → container port ${port}`,
        );
      }
    }
  }

  // Istio's metrics merging rewrites these annotations to 15020 on injected pods, so an app port
  // here means merging is off and Prometheus scrapes the app directly.
  const seen = new Set<string>();
  for (const entry of analysis.meshed()) {
    for (const pod of entry.workload.pods) {
      if (pod.annotations["prometheus.io/scrape"] !== "true") continue;
      const port = Number(pod.annotations["prometheus.io/port"]);
      if (!Number.isInteger(port) || port <= 0 || seen.has(`${entry.workload.subject}:${port}`)) continue;
      seen.add(`${entry.workload.subject}:${port}`);
      add(
        pod,
        port,
        "Prometheus, through the prometheus.io/scrape annotation",
        `${pod.subject} annotations prometheus.io/scrape="true", prometheus.io/port="${port}"`,
      );
    }
  }
}

interface VaultProvider {
  server?: string;
}

/**
 * Resolves the Service a cluster URL names: `name.ns`, `name.ns.svc` or `name.ns.svc.<domain>`. A bare
 * name resolves in `defaultNamespace`.
 */
export function serviceOfUrl(
  server: string,
  defaultNamespace: string | undefined,
): { namespace: string; name: string; port: number } | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  const parts = url.hostname.split(".");
  const defaultPort = url.protocol === "https:" ? 443 : 80;
  const port = url.port ? Number(url.port) : defaultPort;
  const [name, namespace, third] = parts;
  if (!name) return undefined;
  if (parts.length === 1) return defaultNamespace ? { namespace: defaultNamespace, name, port } : undefined;
  if (!namespace) return undefined;
  if (parts.length === 2 || third === "svc") return { namespace, name, port };
  return undefined;
}

function findSecretsOperator(model: ClusterModel, plan: RolloutPlan | undefined): WorkloadView | undefined {
  const pods = model.podsMatching({ matchLabels: { "app.kubernetes.io/name": "external-secrets" } });
  const clientNamespaces = new Set((plan?.spec.unmeshedClients ?? []).map((client) => client.namespace));
  const pod = pods.find((candidate) => clientNamespaces.has(candidate.namespace)) ?? pods[0];
  return pod ? model.workload(pod.workload) : undefined;
}

function secretStoreCallers(
  model: ClusterModel,
  plan: RolloutPlan | undefined,
  analysis: MtlsAnalysis,
  index: ServiceIndex,
  report: CallerReport,
): void {
  const stores = [...model.list("ClusterSecretStore"), ...model.list("SecretStore")];
  if (stores.length === 0) return;
  const operator = findSecretsOperator(model, plan);
  const operatorNamespace =
    operator?.namespace ?? plan?.spec.unmeshedClients.find((client) => client.namespace.includes("secret"))?.namespace;
  const caller = describeCaller(
    "the External Secrets Operator",
    operator,
    operatorNamespace ? `namespace ${operatorNamespace}` : "controller not found in the objects",
  );
  // A meshed operator talks mTLS through its own sidecar, so its calls are not plaintext.
  if (operator?.meshed) return;

  for (const store of stores) {
    const server = (store.spec?.provider?.vault as VaultProvider | undefined)?.server;
    if (!server) continue;
    const defaultNamespace = store.kind === "SecretStore" ? store.metadata.namespace : operatorNamespace;
    const target = serviceOfUrl(server, defaultNamespace);
    report.read.stores.push([
      objectSubject(store),
      server,
      target ? `Service ${target.namespace}/${target.name}:${target.port}` : "(not a cluster Service)",
    ]);
    if (!target) continue;
    const service = index.service(target.namespace, target.name);
    if (!service) continue;
    const portSpec = ((service.spec?.ports ?? []) as Array<{ port?: number; targetPort?: number | string }>).find(
      (candidate) => candidate.port === target.port,
    );
    const seen = new Set<string>();
    for (const pod of index.podsOf(service)) {
      const workload = model.workload(pod.workload);
      const port = resolveContainerPort(pod, portSpec?.targetPort ?? target.port);
      if (!workload || seen.has(`${workload.subject}:${port}`)) continue;
      seen.add(`${workload.subject}:${port}`);
      const judged = judgeCaller(analysis, workload, port);
      report.callers.push({
        target: workload.subject,
        port,
        caller,
        source: "secret-store",
        evidence: `${objectSubject(store)} server ${maskCredentials(server)} → ${objectSubject(service)}:${target.port} → container port ${port}`,
        ...judged,
        hint: judged.blocksStrict
          ? `Keep ${workload.name} PERMISSIVE with a PeerAuthentication that selects it in namespace ${workload.namespace}, or mesh the operator.`
          : undefined,
      });
    }
  }
}

function podLevelCallers(
  model: ClusterModel,
  plan: RolloutPlan | undefined,
  analysis: MtlsAnalysis,
  report: CallerReport,
): void {
  for (const entry of analysis.meshed()) {
    const pod = entry.pod;
    const workload = entry.workload;

    // Probes: the injector rewrites httpGet, tcpSocket and grpc probes to pilot-agent on 15020;
    // a probe still aimed at an app port means the kubelet calls it directly, in plaintext.
    const rewriteOff = pod.annotations["sidecar.istio.io/rewriteAppHTTPProbers"] === "false";
    const seenProbes = new Set<string>();
    for (const container of appContainers(pod)) {
      for (const [kind, probe] of [
        ["readinessProbe", container.readinessProbe],
        ["livenessProbe", container.livenessProbe],
        ["startupProbe", container.startupProbe],
      ] as Array<[string, Probe | undefined]>) {
        if (!probe || probe.exec) continue;
        const rawPort = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
        const port = resolveContainerPort(pod, rawPort);
        const type = probeType(probe);
        if (!type || port === undefined) continue;
        report.read.probes.push([pod.subject, container.name, kind, `${type} ${port}`]);
        if (PROXY_PORTS.has(port) || seenProbes.has(`${port}`)) continue;
        seenProbes.add(`${port}`);
        const judged = judgeCaller(analysis, workload, port);
        report.callers.push({
          target: workload.subject,
          port,
          caller: `the kubelet (${kind} of container ${container.name})`,
          source: "probe",
          evidence: `${pod.subject} ${container.name}.${kind}.${type}.port=${rawPort}${rewriteOff ? '; annotation sidecar.istio.io/rewriteAppHTTPProbers: "false"' : "; the probe was not rewritten to 15020"}`,
          ...judged,
          note: judged.blocksStrict
            ? `${judged.note} The pod would fail its ${kind} and ${kind === "livenessProbe" ? "restart" : "leave the Service endpoints"}.`
            : judged.note,
          hint: judged.blocksStrict
            ? `Remove sidecar.istio.io/rewriteAppHTTPProbers: "false" so the injector rewrites the probe to 15020, or use an exec probe.`
            : undefined,
        });
      }
    }

    // Ports left out of capture are reached in plaintext whatever mode the policy sets.
    for (const port of uncapturedPorts(
      pod,
      entry.ports.map((mode) => mode.port),
    )) {
      report.callers.push({
        target: workload.subject,
        port,
        caller: "any caller: the sidecar does not capture this port",
        source: "uncaptured-port",
        evidence: `${pod.subject} annotations ${captureAnnotations(pod)}`,
        targetMeshed: true,
        blocksStrict: false,
        verdict: "warn",
        note: "STRICT will not protect this port: traffic to it bypasses the sidecar, so no PeerAuthentication applies.",
        hint: `Remove port ${port} from traffic.sidecar.istio.io/excludeInboundPorts (or add it to includeInboundPorts) if it should be protected, then restart ${workload.name}.`,
      });
    }
  }

  const namespaces = new Set([
    ...(plan?.spec.mesh.namespaces ?? []),
    ...(plan?.spec.unmeshedClients ?? []).map((client) => client.namespace),
  ]);
  for (const entry of analysis.meshed()) namespaces.add(entry.workload.namespace);
  const seenWorkloads = new Set<string>();
  for (const namespace of namespaces) {
    for (const pod of model.podsInNamespace(namespace)) {
      if (!pod.hostNetwork || seenWorkloads.has(pod.workload)) continue;
      seenWorkloads.add(pod.workload);
      const inMesh =
        plan?.spec.mesh.namespaces.includes(namespace) ??
        analysis.meshed().some((entry) => entry.workload.namespace === namespace);
      report.callers.push({
        target: pod.workload,
        caller: `${pod.workload}, a hostNetwork pod`,
        source: "host-network",
        evidence: `${pod.subject} spec.hostNetwork=true`,
        targetMeshed: false,
        blocksStrict: false,
        verdict: inMesh ? "warn" : "info",
        note: "It can never carry a sidecar, so every call it makes to a meshed port is plaintext; the objects do not show which ports it calls.",
        hint: 'Check the telemetry for source_workload="unknown" callers from this node\'s address, or run it without hostNetwork.',
      });
    }
  }
}

function probeType(probe: Probe): "httpGet" | "tcpSocket" | "grpc" | undefined {
  if (probe.httpGet) return "httpGet";
  if (probe.tcpSocket) return "tcpSocket";
  if (probe.grpc) return "grpc";
  return undefined;
}

function captureAnnotations(pod: PodView): string {
  const parts: string[] = [];
  for (const key of ["traffic.sidecar.istio.io/excludeInboundPorts", "traffic.sidecar.istio.io/includeInboundPorts"]) {
    const value = pod.annotations[key];
    if (value !== undefined) parts.push(`${key}="${value}"`);
  }
  return parts.join(", ");
}

function telemetryCallers(model: ClusterModel, analysis: MtlsAnalysis, report: CallerReport): void {
  const merged = new Map<string, PlaintextCaller>();
  // Callers the structure already names, by target, to suggest who an unnamed metric caller is.
  const structuralByTarget = new Map<string, Set<string>>();
  for (const caller of report.callers) {
    if (caller.source === "uncaptured-port" || caller.source === "telemetry") continue;
    const names = structuralByTarget.get(caller.target) ?? new Set<string>();
    names.add(caller.caller.split(" (")[0] ?? caller.caller);
    structuralByTarget.set(caller.target, names);
  }
  for (const series of report.telemetry.plaintext) {
    const workload = findWorkloadByName(model, series.destinationNamespace, series.destinationWorkload);
    const target = workload?.subject ?? `Workload ${series.destinationNamespace}/${series.destinationWorkload}`;
    const unknownSource = series.sourceWorkload === "unknown";
    const key = `${target}|${series.sourceNamespace}/${series.sourceWorkload}`;
    const sample = `${series.metric}{reporter="destination",connection_security_policy="none",source_workload="${series.sourceWorkload}"} rose by ${Math.round(series.value)} in ${report.telemetry.window}`;
    const existing = merged.get(key);
    if (existing) {
      existing.evidence += `; ${sample}`;
      continue;
    }

    const structural = [...(structuralByTarget.get(target) ?? [])];
    const candidates =
      structural.length > 0
        ? `; the cluster's structure names ${structural.join(", ")} as plaintext callers of it`
        : "";
    const caller = unknownSource
      ? `a caller without a sidecar (source_workload="unknown"; metrics cannot name it, the server sidecar's access log can${candidates})`
      : `${series.sourceWorkload} in namespace ${series.sourceNamespace}`;

    const judged = workload
      ? judgeCaller(analysis, workload, undefined)
      : {
          targetMeshed: false,
          blocksStrict: true,
          verdict: "warn" as const,
          note: "The destination workload is not in the objects, so its ports and modes are unknown.",
        };
    const entry: PlaintextCaller = {
      target,
      caller,
      source: "telemetry",
      evidence: sample,
      ...judged,
      hint: judged.blocksStrict
        ? "Find the caller in the destination sidecar's access log (meshConfig.accessLogFile), then mesh it or exempt the port with portLevelMtls before the flip."
        : undefined,
    };
    merged.set(key, entry);
  }
  report.callers.push(...merged.values());
}

function unnamedClientNamespaces(model: ClusterModel, plan: RolloutPlan | undefined, report: CallerReport): void {
  for (const client of plan?.spec.unmeshedClients ?? []) {
    const named = report.callers.some(
      (caller) =>
        caller.caller.includes(`${client.namespace}/`) || caller.caller.includes(`namespace ${client.namespace}`),
    );
    if (named) continue;
    const pods = model.podsInNamespace(client.namespace);
    report.callers.push({
      target: `Namespace ${client.namespace}`,
      caller: `pods in namespace ${client.namespace}${client.description ? ` (${client.description})` : ""}`,
      source: "unmeshed-client",
      evidence: `plan spec.unmeshedClients names ${client.namespace}; ${pods.length} pods in the objects`,
      targetMeshed: false,
      blocksStrict: false,
      verdict: "info",
      note: 'The plan names this namespace as an unmeshed client, but the objects do not show which meshed ports its pods call; Prometheus telemetry shows them as source_workload="unknown".',
    });
  }
}
