import type { ClusterModel } from "../../model/cluster.js";
import type { KubeObject } from "../../model/kube.js";
import { objectSubject } from "../../model/kube.js";
import { matchesSelector } from "../../model/selectors.js";
import type { PlanExternalService, RolloutPlan } from "../../plan/schema.js";
import type { Finding } from "../types.js";
import { mtlsAnalysisOf } from "./dry-run.js";
import { serviceIndexOf } from "./ports.js";
import { readTelemetry } from "./telemetry.js";

/**
 * Protocols whose client speaks first in plaintext and then upgrades to TLS itself (Postgres sends
 * SSLRequest, MySQL reads the server greeting first). Envoy-originated TLS (SIMPLE or MUTUAL)
 * cannot carry them.
 */
const NEGOTIATED_TLS = /^(tcp-|tls-)?(postgres|postgresql|pg|mysql|mariadb)\b/i;

interface TlsSetting {
  mode: string;
  /** Where the setting is: `trafficPolicy`, `port 5432` or `subset v1`. */
  where: string;
  port?: number;
}

interface TrafficPolicy {
  tls?: { mode?: string };
  portLevelSettings?: Array<{ port?: { number?: number }; tls?: { mode?: string } }>;
}

function tlsSettings(rule: KubeObject): TlsSetting[] {
  const settings: TlsSetting[] = [];
  const collect = (policy: TrafficPolicy | undefined, prefix: string) => {
    if (policy?.tls?.mode) settings.push({ mode: policy.tls.mode, where: prefix || "trafficPolicy" });
    for (const level of policy?.portLevelSettings ?? []) {
      if (level.tls?.mode)
        settings.push({
          mode: level.tls.mode,
          where: `${prefix ? `${prefix} ` : ""}port ${level.port?.number}`,
          port: level.port?.number,
        });
    }
  };
  collect(rule.spec?.trafficPolicy as TrafficPolicy | undefined, "");
  for (const subset of (rule.spec?.subsets ?? []) as Array<{ name?: string; trafficPolicy?: TrafficPolicy }>) {
    collect(subset.trafficPolicy, `subset ${subset.name}`);
  }
  return settings;
}

/**
 * Resolves the Service a DestinationRule host names. Istio expands a host without dots in the rule's own
 * namespace; `name.ns.svc.<domain>` names a Service directly; other hosts are outside the registry
 * of Services (ServiceEntry hosts or external names).
 */
export function serviceOfHost(host: string, ruleNamespace: string): { namespace: string; name: string } | undefined {
  if (host.includes("*")) return undefined;
  const parts = host.split(".");
  if (parts.length === 1) return { namespace: ruleNamespace, name: host };
  if (parts.length >= 3 && parts[2] === "svc" && parts[0] && parts[1]) return { namespace: parts[1], name: parts[0] };
  return undefined;
}

function wildcardMatches(pattern: string, host: string): boolean {
  if (pattern === "*") return true;
  return pattern.startsWith("*.") && host.toLowerCase().endsWith(pattern.slice(1).toLowerCase());
}

/** Lists the hosts outside the cluster that the mesh registers or the plan names: ServiceEntry hosts and external services. */
function externalHosts(model: ClusterModel, plan: RolloutPlan | undefined): string[] {
  const hosts = new Set<string>();
  for (const entry of model.list("ServiceEntry"))
    for (const host of (entry.spec?.hosts ?? []) as string[]) hosts.add(host);
  for (const service of plan?.spec.externalServices ?? []) hosts.add(service.host);
  return [...hosts];
}

/**
 * Judges every DestinationRule TLS setting against what sits behind its host, and the outbound
 * traffic policy against the external ports in use. One finding per conflict, and a pass per rule
 * without one.
 */
export function judgeClientSide(model: ClusterModel, plan: RolloutPlan | undefined): Finding[] {
  const findings: Finding[] = [];
  const root = model.mesh.rootNamespace;
  const index = serviceIndexOf(model);
  const analysis = mtlsAnalysisOf(model);
  const external = externalHosts(model, plan);

  for (const rule of model.list("DestinationRule")) {
    const subject = objectSubject(rule);
    const namespace = rule.metadata.namespace ?? "default";
    const host = String(rule.spec?.host ?? "");
    const before = findings.length;

    if (namespace === root && host.includes("*")) {
      const captured = external.filter((candidate) => wildcardMatches(host, candidate));
      if (host === "*" || captured.length > 0) {
        const tls =
          tlsSettings(rule)
            .map((setting) => setting.mode)
            .join(", ") || "no TLS setting";
        findings.push({
          subject,
          verdict: "fail",
          message: `Host "${host}" in the root namespace applies mesh-wide (${tls})${captured.length ? `, including external hosts ${captured.join(", ")}` : ", to every external host as well"}.`,
          hint: "Scope the rule to the hosts it is meant for, or move it to the namespace that needs it.",
        });
      }
    }

    const serviceRef = serviceOfHost(host, namespace);
    const service = serviceRef ? index.service(serviceRef.namespace, serviceRef.name) : undefined;
    const pods = service ? index.podsOf(service) : [];
    const planService = (plan?.spec.externalServices ?? []).find(
      (candidate) => candidate.host.toLowerCase() === host.toLowerCase(),
    );

    for (const setting of tlsSettings(rule)) {
      const where = setting.where === "trafficPolicy" ? "" : ` (${setting.where})`;
      if (
        setting.mode === "ISTIO_MUTUAL" &&
        service &&
        pods.length > 0 &&
        pods.every((pod) => pod.sidecar.kind === "none")
      ) {
        const names = [...new Set(pods.map((pod) => pod.workload))].join(", ");
        findings.push({
          subject,
          verdict: "fail",
          message: `tls.mode ISTIO_MUTUAL${where} toward ${host}, but ${names} has no sidecar to terminate Istio mTLS, so the handshake fails.`,
          hint: `Delete the tls setting (auto mTLS picks plaintext for pods without a sidecar) or set mode DISABLE: kubectl -n ${namespace} edit destinationrule ${rule.metadata.name}`,
        });
      }
      if (setting.mode === "SIMPLE" || setting.mode === "MUTUAL") {
        const reason = negotiatedTlsReason(model, plan, service, setting.port, planService);
        if (reason) {
          findings.push({
            subject,
            verdict: "fail",
            message: `tls.mode ${setting.mode}${where} toward ${host}: ${reason}`,
            hint: "Use tls.mode DISABLE so the client's own TLS passes through untouched.",
          });
        }
      }
      if (setting.mode === "DISABLE" && service && pods.some((pod) => pod.sidecar.kind !== "none")) {
        const workloads = [...new Set(pods.filter((pod) => pod.sidecar.kind !== "none").map((pod) => pod.workload))];
        const strictBound = workloads.some((workload) =>
          analysis.of(workload)?.ports.some((port) => port.after === "STRICT" || port.today === "STRICT"),
        );
        findings.push({
          subject,
          verdict: strictBound ? "fail" : "info",
          message: strictBound
            ? `tls.mode DISABLE${where} toward meshed ${workloads.join(", ")}: clients send plaintext, which the server sidecar rejects once its port is STRICT.`
            : `tls.mode DISABLE${where} toward meshed ${workloads.join(", ")}; its ports stay PERMISSIVE after the flip, so clients keep working in plaintext.`,
          hint: strictBound
            ? `Remove the tls setting so auto mTLS applies: kubectl -n ${namespace} edit destinationrule ${rule.metadata.name}`
            : undefined,
        });
      }
    }

    if (findings.length === before) {
      const modes = tlsSettings(rule).map(
        (setting) => `${setting.mode}${setting.where === "trafficPolicy" ? "" : ` (${setting.where})`}`,
      );
      findings.push({
        subject,
        verdict: "pass",
        message: `Host ${host}: ${modes.length ? `tls ${modes.join(", ")}` : "no TLS setting"}, no conflict.`,
      });
    }
  }

  findings.push(...outboundPolicyFindings(model, plan));
  return findings;
}

function negotiatedTlsReason(
  model: ClusterModel,
  plan: RolloutPlan | undefined,
  service: KubeObject | undefined,
  port: number | undefined,
  planService: PlanExternalService | undefined,
): string | undefined {
  if (planService) {
    if (planService.protocol === "postgres" || planService.protocol === "mysql") {
      return `${planService.protocol} negotiates TLS inside its own protocol, so Envoy-originated TLS cannot carry it.`;
    }
    if (planService.tlsByClient)
      return "the plan says the client speaks TLS itself, so Envoy would encrypt it a second time.";
  }
  if (!service) return undefined;
  const ports = (service.spec?.ports ?? []) as Array<{ port?: number; name?: string; appProtocol?: string }>;
  const named = ports.find(
    (candidate) =>
      (port === undefined || candidate.port === port) &&
      NEGOTIATED_TLS.test(candidate.appProtocol ?? candidate.name ?? ""),
  );
  if (named)
    return `Service port ${named.port} (${named.appProtocol ?? named.name}) negotiates TLS inside its own protocol, so Envoy-originated TLS cannot carry it.`;
  const labels = serviceIndexOf(model).podsOf(service)[0]?.labels;
  const datastore = (plan?.spec.datastores ?? []).find(
    (candidate) => labels && matchesSelector(candidate.selector, labels) && NEGOTIATED_TLS.test(candidate.name),
  );
  if (datastore) return `it selects the ${datastore.name} datastore, which negotiates TLS inside its own protocol.`;
  return undefined;
}

/** Ports of external hosts the plan lists that no ServiceEntry declares: what REGISTRY_ONLY would cut. */
function undeclaredExternalPorts(
  model: ClusterModel,
  plan: RolloutPlan | undefined,
): Array<{ host: string; port: number; inUse: string }> {
  const declared = new Set<string>();
  for (const entry of model.list("ServiceEntry")) {
    for (const host of (entry.spec?.hosts ?? []) as string[]) {
      for (const port of (entry.spec?.ports ?? []) as Array<{ number?: number }>)
        declared.add(`${host.toLowerCase()}:${port.number}`);
    }
  }
  const missing: Array<{ host: string; port: number; inUse: string }> = [];
  for (const service of plan?.spec.externalServices ?? []) {
    for (const port of service.ports) {
      if (port.inUse === "no") continue;
      if (!declared.has(`${service.host.toLowerCase()}:${port.number}`))
        missing.push({ host: service.host, port: port.number, inUse: port.inUse });
    }
  }
  return missing;
}

function outboundPolicyFindings(model: ClusterModel, plan: RolloutPlan | undefined): Finding[] {
  const mode = model.mesh.outboundTrafficPolicy;
  const subject = model.mesh.source ?? `ConfigMap ${model.options.istioNamespace}/istio`;
  const missing = undeclaredExternalPorts(model, plan);
  const telemetry = readTelemetry(model);
  const passthrough = (telemetry.passthrough?.samples ?? []).filter((sample) => sample.value > 0);
  const passthroughText = passthrough
    .map((sample) => `${sample.labels.source_workload_namespace}/${sample.labels.source_workload}`)
    .filter((name, position, all) => all.indexOf(name) === position);
  const listed = missing.map((item) => `${item.host}:${item.port} (inUse ${item.inUse})`);
  const findings: Finding[] = [];

  if (mode === "REGISTRY_ONLY") {
    if (missing.length > 0 || passthrough.length > 0) {
      findings.push({
        subject,
        verdict: "fail",
        message: `outboundTrafficPolicy REGISTRY_ONLY sends undeclared destinations to BlackHoleCluster: ${[...listed, ...passthroughText.map((name) => `passthrough traffic from ${name}`)].join("; ")}.`,
        hint: "Declare each port in the host's ServiceEntry.",
      });
    } else {
      findings.push({
        subject,
        verdict: "pass",
        message: "outboundTrafficPolicy REGISTRY_ONLY, and every external port the plan lists is declared.",
      });
    }
    return findings;
  }

  if (missing.length > 0 || passthrough.length > 0) {
    findings.push({
      subject,
      verdict: "warn",
      message: `outboundTrafficPolicy ALLOW_ANY: a switch to REGISTRY_ONLY would cut ${[...listed, ...passthroughText.map((name) => `the PassthroughCluster traffic of ${name}`)].join("; ")}.`,
      hint: "Declare these ports in a ServiceEntry before any switch to REGISTRY_ONLY.",
    });
  } else {
    const measured =
      telemetry.passthrough && !telemetry.passthrough.error
        ? `; no PassthroughCluster traffic in ${telemetry.passthrough.window}`
        : "; PassthroughCluster traffic was not measured (no --prometheus)";
    findings.push({
      subject,
      verdict: "pass",
      message: `outboundTrafficPolicy ALLOW_ANY; every external port the plan lists is declared${measured}.`,
    });
  }
  return findings;
}
