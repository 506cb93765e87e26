import { maskCredentials } from "../collect/redact.js";
import type { ClusterModel, PodView, WorkloadView } from "../model/cluster.js";
import type { Container, KubeObject } from "../model/kube.js";
import { objectSubject } from "../model/kube.js";
import { INIT_CONTAINER, PROXY_CONTAINER } from "../model/sidecar.js";
import type { PlanExternalService, RolloutPlan } from "../plan/schema.js";
import { objectEvidence, table, yamlExcerpt } from "./evidence.js";
import type { CheckDefinition, CheckOutcome, Evidence, Finding } from "./types.js";

/** Destination rule TLS modes in which Envoy originates TLS itself. */
const ORIGINATING_TLS_MODES = new Set(["SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]);
/** Port protocols that make the sidecar parse the bytes as HTTP. */
const HTTP_PROTOCOLS = new Set(["HTTP", "HTTP2", "GRPC", "GRPC-WEB"]);
/** Display names of the databases whose port rules differ. */
const DATABASE_NAMES: Partial<Record<PlanExternalService["protocol"], string>> = {
  postgres: "Postgres",
  mysql: "MySQL",
};
/** Client ports of the protocols a URL may name without a port. */
const DEFAULT_PORTS: Partial<Record<PlanExternalService["protocol"], number>> = {
  postgres: 5432,
  mysql: 3306,
  redis: 6379,
  mongodb: 27017,
  https: 443,
  tls: 443,
  http: 80,
};

interface ServiceEntrySpec {
  hosts?: string[];
  location?: string;
  resolution?: string;
  ports?: Array<{ number?: number; name?: string; protocol?: string }>;
  exportTo?: string[];
  endpoints?: unknown[];
  addresses?: string[];
}

interface TlsSettings {
  mode?: string;
}

interface DestinationRuleSpec {
  host?: string;
  exportTo?: string[];
  trafficPolicy?: {
    tls?: TlsSettings;
    portLevelSettings?: Array<{ port?: { number?: number }; tls?: TlsSettings }>;
  };
}

/** Istio host matching for one concrete host: exact, `*`, or a `*.suffix` wildcard. */
function hostMatches(pattern: string | undefined, host: string): boolean {
  if (!pattern) return false;
  const lower = pattern.toLowerCase();
  const target = host.toLowerCase();
  if (lower === target || lower === "*") return true;
  return lower.startsWith("*.") && target.endsWith(lower.slice(1));
}

/** Checks whether an object's exportTo makes it visible in a namespace (absent means every namespace). */
function visibleIn(exportTo: string[] | undefined, ownNamespace: string | undefined, namespace: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return (
    exportTo.includes("*") || exportTo.includes(namespace) || (exportTo.includes(".") && ownNamespace === namespace)
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---------------------------------------------------------------------------------------------
// Which ports meshed workloads dial, read from env values and ConfigMaps (never from Secrets)

interface PortUse {
  port: number;
  workload: WorkloadView;
  /** Location of the host and port, e.g. `env DATABASE_URL`, and never the value itself. */
  source: string;
}

interface HostUse {
  uses: PortUse[];
  /** The host is named, but no port could be read next to it. */
  withoutPort: Array<{ workload: WorkloadView; source: string }>;
}

interface ClientScan {
  byHost: Map<string, HostUse>;
  /** Per host and port, ConfigMaps that name it but that no meshed pod references. */
  unreferenced: Map<string, Map<number, string[]>>;
  /** Meshed workloads that take env values from Secrets, with the Secret names. */
  secretReaders: Map<string, { workload: WorkloadView; secrets: Set<string> }>;
}

interface ConfigValue {
  source: string;
  /** The env var or ConfigMap key holding the value. */
  key: string;
  value: string;
  /** Values next to this one (same container env or same ConfigMap), for a separate `…_PORT` variable. */
  siblings: Record<string, string>;
}

function appContainers(pod: PodView): Container[] {
  const spec = pod.object.spec ?? {};
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])].filter(
    (container) => container.name !== PROXY_CONTAINER && container.name !== INIT_CONTAINER,
  );
}

/**
 * Collects env values, referenced ConfigMap keys and mounted ConfigMaps of a pod. Secret references
 * are recorded by name only, and every ConfigMap the pod references is added to `referenced`.
 */
function configValues(model: ClusterModel, pod: PodView, secrets: Set<string>, referenced: Set<string>): ConfigValue[] {
  const values: ConfigValue[] = [];
  const configMapData = (name: string | undefined) => {
    if (!name) return undefined;
    referenced.add(`${pod.namespace}/${name}`);
    return model.get("ConfigMap", pod.namespace, name)?.data;
  };

  for (const container of appContainers(pod)) {
    const literal: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) literal[variable.name] = variable.value;
    }
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) {
        values.push({ source: `env ${variable.name}`, key: variable.name, value: variable.value, siblings: literal });
        continue;
      }
      const secretName = variable.valueFrom?.secretKeyRef?.name;
      if (secretName) secrets.add(secretName);
      const configMapRef = variable.valueFrom?.configMapKeyRef;
      const data = configMapData(configMapRef?.name);
      const value = configMapRef?.key ? data?.[configMapRef.key] : undefined;
      if (value !== undefined) {
        values.push({
          source: `env ${variable.name} (ConfigMap ${configMapRef?.name})`,
          key: variable.name,
          value,
          siblings: literal,
        });
      }
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef?.name) secrets.add(from.secretRef.name);
      const data = configMapData(from.configMapRef?.name);
      for (const [key, value] of Object.entries(data ?? {})) {
        values.push({ source: `env ${key} (ConfigMap ${from.configMapRef?.name})`, key, value, siblings: data ?? {} });
      }
    }
  }
  for (const volume of pod.object.spec?.volumes ?? []) {
    const projected =
      (volume.projected as { sources?: Array<{ configMap?: { name?: string } }> } | undefined)?.sources ?? [];
    const names = [volume.configMap?.name, ...projected.map((source) => source.configMap?.name)];
    for (const name of names) {
      const data = configMapData(name);
      for (const [key, value] of Object.entries(data ?? {})) {
        values.push({ source: `ConfigMap ${name} key ${key} (mounted)`, key, value, siblings: data ?? {} });
      }
    }
  }
  return values;
}

/**
 * Ports a value dials on a host: `host:port` (URLs and plain pairs), a libpq `host=… port=…` string,
 * a sibling `…_PORT` variable next to a `…_HOST` one, or the protocol's default port when a URL
 * names the host without a port. `undefined` marks a host named with no port found.
 */
function portsFor(
  host: string,
  protocol: PlanExternalService["protocol"],
  entry: ConfigValue,
): Array<number | undefined> {
  const pattern = new RegExp(`(^|[^A-Za-z0-9.-])${escapeRegExp(host)}(?::(\\d{1,5}))?(?![A-Za-z0-9-])`, "gi");
  const ports: Array<number | undefined> = [];
  for (const match of entry.value.matchAll(pattern)) {
    if (match[2]) {
      ports.push(Number(match[2]));
      continue;
    }
    const keyValuePort = /\bport\s*=\s*(\d{1,5})\b/i.exec(entry.value);
    if (keyValuePort) {
      ports.push(Number(keyValuePort[1]));
      continue;
    }
    const siblingPort = siblingPortOf(entry);
    if (siblingPort !== undefined) {
      ports.push(siblingPort);
      continue;
    }
    const before = entry.value.slice(0, match.index + (match[1]?.length ?? 0));
    const inUrl = /(:\/\/|@)$/.test(before);
    ports.push(inUrl ? DEFAULT_PORTS[protocol] : undefined);
  }
  return ports;
}

function siblingPortOf(entry: ConfigValue): number | undefined {
  const numeric = (value: string | undefined) =>
    value !== undefined && /^\d{1,5}$/.test(value.trim()) ? Number(value) : undefined;
  const paired = entry.key.replace(/HOST(NAME)?/i, "PORT");
  if (paired !== entry.key && numeric(entry.siblings[paired]) !== undefined) return numeric(entry.siblings[paired]);
  const candidates = new Set(
    Object.entries(entry.siblings)
      .filter(([key]) => /PORT$/i.test(key))
      .map(([, value]) => numeric(value))
      .filter((value): value is number => value !== undefined),
  );
  return candidates.size === 1 ? [...candidates][0] : undefined;
}

/** Scans the meshed pods once for the external host and port each workload dials. */
function scanClients(model: ClusterModel, services: PlanExternalService[]): ClientScan {
  const byHost = new Map<string, HostUse>(services.map((service) => [service.host, { uses: [], withoutPort: [] }]));
  const secretReaders: ClientScan["secretReaders"] = new Map();
  const seen = new Set<string>();
  const referenced = new Set<string>();

  for (const workload of model.meshedWorkloads()) {
    for (const pod of workload.pods) {
      if (pod.sidecar.kind === "none") continue;
      const secrets = new Set<string>();
      const values = configValues(model, pod, secrets, referenced);
      if (secrets.size > 0) {
        const reader = secretReaders.get(workload.subject) ?? { workload, secrets: new Set<string>() };
        for (const secret of secrets) reader.secrets.add(secret);
        secretReaders.set(workload.subject, reader);
      }
      for (const service of services) {
        const use = byHost.get(service.host)!;
        for (const entry of values) {
          if (!entry.value.toLowerCase().includes(service.host.toLowerCase())) continue;
          for (const port of portsFor(service.host, service.protocol, entry)) {
            const key = `${service.host}|${workload.subject}|${entry.source}|${port}`;
            if (seen.has(key)) continue;
            seen.add(key);
            if (port === undefined) use.withoutPort.push({ workload, source: entry.source });
            else use.uses.push({ port, workload, source: entry.source });
          }
        }
      }
    }
  }
  return { byHost, secretReaders, unreferenced: unreferencedConfigMaps(model, services, referenced) };
}

/** Finds ConfigMaps that name an external host and port but that no meshed pod references. */
function unreferencedConfigMaps(
  model: ClusterModel,
  services: PlanExternalService[],
  referenced: Set<string>,
): ClientScan["unreferenced"] {
  const result: ClientScan["unreferenced"] = new Map(services.map((service) => [service.host, new Map()]));
  for (const configMap of model.list("ConfigMap")) {
    const key = `${configMap.metadata.namespace}/${configMap.metadata.name}`;
    if (referenced.has(key)) continue;
    for (const [dataKey, value] of Object.entries(configMap.data ?? {})) {
      for (const service of services) {
        if (!value.toLowerCase().includes(service.host.toLowerCase())) continue;
        const entry: ConfigValue = { source: `ConfigMap ${key}`, key: dataKey, value, siblings: configMap.data ?? {} };
        for (const port of portsFor(service.host, service.protocol, entry)) {
          if (port === undefined) continue;
          const byPort = result.get(service.host)!;
          const list = byPort.get(port) ?? [];
          if (!list.includes(`ConfigMap ${key}`)) list.push(`ConfigMap ${key}`);
          byPort.set(port, list);
        }
      }
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Judging one external service

interface ServiceJudgement {
  findings: Finding[];
  evidence: Evidence[];
  summary: string;
  facts: Record<string, unknown>;
}

function portLabel(port: { number: number; description?: string }): string {
  return port.description ? `:${port.number} (${port.description})` : `:${port.number}`;
}

function names(workloads: Iterable<WorkloadView>): string {
  return [...new Set([...workloads].map((workload) => workload.name))].sort().join(", ");
}

function judgeServiceEntryShape(entry: KubeObject, service: PlanExternalService): Finding[] {
  const spec = (entry.spec ?? {}) as ServiceEntrySpec;
  const subject = objectSubject(entry);
  const problems: Finding[] = [];
  const database = DATABASE_NAMES[service.protocol] ?? service.protocol;

  if (spec.location === "MESH_INTERNAL") {
    problems.push({
      subject,
      verdict: "fail",
      message: `location MESH_INTERNAL makes the mesh treat ${service.host} as one of its own services; an external database needs MESH_EXTERNAL`,
      hint: `kubectl -n ${entry.metadata.namespace} patch serviceentry ${entry.metadata.name} --type merge -p '{"spec":{"location":"MESH_EXTERNAL"}}'`,
    });
  }
  const resolution = spec.resolution ?? "NONE";
  if (resolution === "STATIC" && (spec.endpoints ?? []).length === 0) {
    problems.push({
      subject,
      verdict: "fail",
      message: "resolution STATIC with no endpoints: the sidecar has nowhere to send the traffic",
      hint: "Use resolution: DNS for a hostname.",
    });
  } else if (resolution !== "DNS" && resolution !== "DNS_ROUND_ROBIN") {
    problems.push({
      subject,
      verdict: "warn",
      message: `resolution ${resolution}: Envoy forwards to whatever address the client resolved instead of resolving ${service.host} itself; resolution: DNS is the documented shape for an external hostname`,
      hint: "Set spec.resolution: DNS.",
    });
  }

  for (const port of spec.ports ?? []) {
    const protocol = (port.protocol ?? "").toUpperCase();
    const label = `port ${port.number}${port.name ? ` (${port.name})` : ""}`;
    if (service.protocol === "postgres" || service.protocol === "mysql") {
      if (protocol === "TCP") continue;
      if (protocol === "" && service.protocol === "postgres") {
        problems.push({
          subject,
          verdict: "warn",
          message: `${label} has no protocol, so the sidecar sniffs it; declare TCP for Postgres`,
          hint: "Set protocol: TCP on the port.",
        });
        continue;
      }
      const protocolReason =
        service.protocol === "postgres"
          ? "Postgres opens in plaintext with an SSLRequest and starts TLS only afterwards, so the sidecar cannot route it"
          : "MySQL sends its greeting first and upgrades to TLS in-band, so the sidecar cannot route it";
      problems.push({
        subject,
        verdict: "fail",
        message: `${label} has protocol ${protocol || "unset"}: ${protocolReason} as ${protocol || "a sniffed protocol"}; ${database} needs TCP`,
        hint: `Set protocol: TCP on the port: kubectl -n ${entry.metadata.namespace} edit serviceentry ${entry.metadata.name}`,
      });
      continue;
    }
    if (service.tlsByClient && HTTP_PROTOCOLS.has(protocol)) {
      problems.push({
        subject,
        verdict: "fail",
        message: `${label} has protocol ${protocol}, but the client speaks TLS itself: the sidecar would try to parse TLS bytes as ${protocol}`,
        hint: "Declare the port as TLS or TCP.",
      });
    } else if (protocol === "") {
      problems.push({
        subject,
        verdict: "warn",
        message: `${label} has no protocol, so the sidecar sniffs it`,
        hint: "Declare the port protocol explicitly.",
      });
    }
  }

  if (problems.length > 0) return problems;
  const ports = (spec.ports ?? []).map((port) => `${port.number}/${port.protocol ?? "unset"}`).join(", ");
  return [
    {
      subject,
      verdict: "pass",
      message: `${service.host}: ${spec.location ?? "MESH_EXTERNAL"}, resolution ${resolution}, ports ${ports || "(none)"}`,
    },
  ];
}

function judgeDestinationRules(
  rules: KubeObject[],
  service: PlanExternalService,
  clientNamespaces: Set<string>,
): Finding[] {
  const planned = new Set(service.ports.map((port) => port.number));
  if (!service.tlsByClient) {
    return rules.map((rule) => ({
      subject: objectSubject(rule),
      verdict: "info" as const,
      message: `tls.mode ${((rule.spec ?? {}) as DestinationRuleSpec).trafficPolicy?.tls?.mode ?? "unset"}; the plan states that the client does not speak TLS itself, so pass-through is not required`,
    }));
  }
  if (rules.length === 0) {
    return [
      {
        subject: `ExternalService ${service.name}`,
        verdict: "fail",
        message: `no DestinationRule for ${service.host} sets tls.mode DISABLE: nothing pins pass-through, so a mesh-wide DestinationRule or a later change can make Envoy originate TLS on top of the client's own TLS`,
        hint: `Apply a DestinationRule with host: ${service.host} and trafficPolicy.tls.mode: DISABLE, visible to the client namespaces.`,
      },
    ];
  }

  return rules.map((rule) => {
    const spec = (rule.spec ?? {}) as DestinationRuleSpec;
    const subject = objectSubject(rule);
    const problems: string[] = [];
    const mode = spec.trafficPolicy?.tls?.mode;
    if (mode === undefined) {
      problems.push("trafficPolicy.tls.mode is not set, so nothing pins pass-through");
    } else if (ORIGINATING_TLS_MODES.has(mode)) {
      problems.push(
        `tls.mode ${mode}: Envoy would originate TLS on top of the client's own TLS${service.protocol === "postgres" ? ", which cannot work for Postgres, whose TLS starts only after a plaintext SSLRequest" : ""}`,
      );
    }
    for (const setting of spec.trafficPolicy?.portLevelSettings ?? []) {
      const portMode = setting.tls?.mode;
      const number = setting.port?.number;
      if (portMode && ORIGINATING_TLS_MODES.has(portMode) && (number === undefined || planned.has(number))) {
        problems.push(
          `portLevelSettings port ${number} sets tls.mode ${portMode}: Envoy would originate TLS on that port`,
        );
      }
    }
    const hidden = [...clientNamespaces].filter(
      (namespace) => !visibleIn(spec.exportTo, rule.metadata.namespace, namespace),
    );
    if (hidden.length)
      problems.push(`exportTo ${JSON.stringify(spec.exportTo)} hides it from client namespaces ${hidden.join(", ")}`);
    if (problems.length === 0) {
      return {
        subject,
        verdict: "pass" as const,
        message: `host ${spec.host}: tls.mode DISABLE, so Envoy passes the client's own TLS through`,
      };
    }
    return {
      subject,
      verdict: "fail" as const,
      message: problems.join("; "),
      hint: `Set trafficPolicy.tls.mode: DISABLE (and no TLS-originating portLevelSettings): kubectl -n ${rule.metadata.namespace} edit destinationrule ${rule.metadata.name}`,
    };
  });
}

function judgeService(
  model: ClusterModel,
  plan: RolloutPlan,
  service: PlanExternalService,
  scan: ClientScan,
): ServiceJudgement {
  const findings: Finding[] = [];
  const evidence: Evidence[] = [];
  const entries = model
    .list("ServiceEntry")
    .filter((entry) => ((entry.spec ?? {}) as ServiceEntrySpec).hosts?.some((host) => hostMatches(host, service.host)));
  const rules = model
    .list("DestinationRule")
    .filter((rule) => hostMatches(((rule.spec ?? {}) as DestinationRuleSpec).host, service.host));
  const use = scan.byHost.get(service.host) ?? { uses: [], withoutPort: [] };
  const registryOnly = model.mesh.outboundTrafficPolicy === "REGISTRY_ONLY";

  const usersByPort = new Map<number, Set<WorkloadView>>();
  for (const portUse of use.uses) {
    const users = usersByPort.get(portUse.port) ?? new Set();
    users.add(portUse.workload);
    usersByPort.set(portUse.port, users);
  }
  const observedNamespaces = new Set(use.uses.map((portUse) => portUse.workload.namespace));
  const clientNamespaces = new Set([...observedNamespaces, ...plan.spec.mesh.namespaces]);
  const secretReaders = [...scan.secretReaders.values()];
  const configMapIssues = model.issuesFor("configmaps");
  const unreadNote = [
    secretReaders.length
      ? `values held in Secrets are not read (${names(secretReaders.map((reader) => reader.workload))} ${secretReaders.length === 1 ? "references" : "reference"} Secrets)`
      : "",
    configMapIssues.length ? `ConfigMaps could not be read (${configMapIssues[0]!.reason})` : "",
  ]
    .filter(Boolean)
    .join("; ");

  // ServiceEntry presence, shape and visibility.
  const declared = new Set<number>();
  for (const entry of entries) {
    for (const port of ((entry.spec ?? {}) as ServiceEntrySpec).ports ?? [])
      if (typeof port.number === "number") declared.add(port.number);
  }
  if (entries.length === 0) {
    findings.push({
      subject: `ExternalService ${service.name}`,
      verdict: "fail",
      message: `no ServiceEntry lists host ${service.host}: the mesh has no registry entry for it${registryOnly ? ", and REGISTRY_ONLY blocks it" : ", so traffic leaves through PassthroughCluster with no per-host telemetry or policy"}`,
      hint: `Apply a ServiceEntry with hosts: [${service.host}], location: MESH_EXTERNAL, resolution: DNS and a TCP port for each of ${service.ports.map((port) => port.number).join(", ")}.`,
    });
  }
  for (const entry of entries) {
    findings.push(...judgeServiceEntryShape(entry, service));
    const spec = (entry.spec ?? {}) as ServiceEntrySpec;
    for (const namespace of clientNamespaces) {
      if (visibleIn(spec.exportTo, entry.metadata.namespace, namespace)) continue;
      const observed = observedNamespaces.has(namespace);
      findings.push({
        subject: objectSubject(entry),
        verdict: observed ? "fail" : "warn",
        message: `exportTo ${JSON.stringify(spec.exportTo)} hides it from namespace ${namespace}${observed ? ", where meshed workloads dial the host" : ", a namespace the plan meshes"}`,
        hint: `Add "${namespace}" (or "*") to spec.exportTo.`,
      });
    }
  }
  findings.push(...judgeDestinationRules(rules, service, clientNamespaces));

  // Port coverage: every port the plan offers or a meshed client dials.
  const coverageSubject = entries[0] ? objectSubject(entries[0]) : `ExternalService ${service.name}`;
  const planPorts = new Map(service.ports.map((port) => [port.number, port]));
  const allPorts = [...new Set([...planPorts.keys(), ...usersByPort.keys()])].sort((a, b) => a - b);
  const covered: string[] = [];
  const uncovered: string[] = [];
  for (const number of allPorts) {
    const planned = planPorts.get(number);
    const label = portLabel({ number, description: planned?.description });
    const users = usersByPort.get(number);
    const userText = users?.size ? names(users) : "";
    if (declared.has(number)) {
      covered.push(userText ? `${label.replace(/ \(.*\)$/, "")} (used by ${userText})` : label);
      if (entries.length > 0) {
        findings.push({
          subject: coverageSubject,
          verdict: "pass",
          message: `${label} declared${userText ? `; used by ${userText}` : ""}`,
        });
      }
      continue;
    }
    const knownInUse = planned?.inUse === "yes";
    if (userText || knownInUse) {
      const dialedBy = userText
        ? `${userText} ${users!.size === 1 ? "dials" : "dial"} it`
        : "the plan states that clients dial it";
      findings.push({
        subject: coverageSubject,
        verdict: registryOnly ? "fail" : "warn",
        message: registryOnly
          ? `${label} is not declared, and ${dialedBy}: under REGISTRY_ONLY the sidecar sends it to BlackHoleCluster, so the connection is refused`
          : `${label} is not declared, and ${dialedBy}: it works through PassthroughCluster with no per-host telemetry or policy, and breaks if outbound traffic switches to REGISTRY_ONLY`,
        hint: `Add the port to the ServiceEntry: {number: ${number}, name: tcp-${number}, protocol: TCP}`,
      });
      uncovered.push(`${label} is not declared but ${dialedBy}${registryOnly ? " (REGISTRY_ONLY blocks it)" : ""}`);
      continue;
    }
    if (planned?.inUse === "no") {
      findings.push({
        subject: coverageSubject,
        verdict: "info",
        message: `${label} is not declared; the plan states that no client uses it`,
      });
      continue;
    }
    const mentions = scan.unreferenced.get(service.host)?.get(number) ?? [];
    const mentionNote = mentions.length
      ? ` ${mentions.join(", ")} ${mentions.length === 1 ? "names" : "name"} it, but no meshed pod references ${mentions.length === 1 ? "that ConfigMap" : "those ConfigMaps"}.`
      : "";
    const unknownWhy = unreadNote
      ? `, but ${unreadNote}, so its use is unknown`
      : "; its use is unknown because configuration can also come from files in the image";
    findings.push({
      subject: coverageSubject,
      verdict: "warn",
      message: `${label} is not declared; no meshed workload names it in env values or ConfigMaps${unknownWhy}.${mentionNote} Confirm no meshed service needs it before STRICT.`,
      hint: `If a meshed service dials it, add {number: ${number}, name: tcp-${number}, protocol: TCP} to the ServiceEntry; otherwise set inUse: "no" for the port in the plan.`,
    });
    uncovered.push(`${label} is not declared — confirm no meshed service needs it before STRICT`);
  }
  if (use.withoutPort.length > 0) {
    findings.push({
      subject: coverageSubject,
      verdict: "info",
      message: `${names(use.withoutPort.map((entry) => entry.workload))} name ${service.host} without a port that could be read (${[...new Set(use.withoutPort.map((entry) => entry.source))].join(", ")})`,
    });
  }

  const declaredText = covered.length
    ? `ServiceEntry covers ${covered.join(", ")}`
    : entries.length
      ? "ServiceEntry declares none of the planned ports"
      : `No ServiceEntry for ${service.host}`;
  const failures = findings
    .filter(
      (finding) =>
        finding.verdict === "fail" &&
        !finding.message.includes("is not declared") &&
        !finding.message.startsWith("no ServiceEntry"),
    )
    .map((finding) => `${finding.subject}: ${finding.message.split(":")[0]}`);
  const summary = `${[declaredText, ...uncovered].join("; ")}.${failures.length ? ` ${failures.join(". ")}.` : ""}`;

  // Evidence: the ServiceEntry listing as the report printed it, the objects, and where ports were found.
  evidence.push(
    objectEvidence(
      `kubectl get serviceentry -A -o jsonpath='{range .items[*]}{.spec.hosts[*]}{" ports="}{.spec.ports[*].number}{"\\n"}{end}'`,
      entries.length
        ? entries
            .map((entry) => {
              const spec = (entry.spec ?? {}) as ServiceEntrySpec;
              return `${(spec.hosts ?? []).join(" ")} ports=${(spec.ports ?? []).map((port) => port.number).join(" ")}`;
            })
            .join("\n")
        : `(no ServiceEntry lists ${service.host})`,
    ),
  );
  for (const object of [...entries, ...rules]) {
    evidence.push(
      objectEvidence(
        `kubectl -n ${object.metadata.namespace} get ${object.kind.toLowerCase()} ${object.metadata.name} -o yaml`,
        yamlExcerpt({
          metadata: { name: object.metadata.name, namespace: object.metadata.namespace },
          spec: object.spec,
        }),
      ),
    );
  }
  const useRows = [
    ...use.uses.map((portUse) => [portUse.workload.subject, portUse.source, `${service.host}:${portUse.port}`]),
    ...use.withoutPort.map((entry) => [entry.workload.subject, entry.source, `${service.host} (no port)`]),
  ];
  const secretLines = secretReaders.map(
    (reader) => `${reader.workload.subject}: Secrets ${[...reader.secrets].sort().join(", ")} (values not read)`,
  );
  evidence.push(
    objectEvidence(
      `kubectl get pods,configmaps -A -o yaml | grep -o '${service.host}[:0-9]*'   # meshed pods' env values and referenced ConfigMaps`,
      maskCredentials(
        [
          useRows.length
            ? table(["WORKLOAD", "WHERE", "DIALS"], useRows)
            : `(no meshed workload names ${service.host} in env values or ConfigMaps)`,
          ...secretLines,
        ].join("\n"),
      ),
    ),
  );

  return {
    findings,
    evidence,
    summary,
    facts: {
      name: service.name,
      host: service.host,
      declaredPorts: [...declared].sort((a, b) => a - b),
      usedPorts: Object.fromEntries(
        [...usersByPort].map(([port, users]) => [String(port), [...users].map((user) => user.name).sort()]),
      ),
      portUseUnknownBecause: unreadNote || undefined,
    },
  };
}

function runExternalServices(model: ClusterModel, plan: RolloutPlan): CheckOutcome {
  const services = plan.spec.externalServices;
  if (services.length === 0) {
    return { summary: "The plan lists no external services.", findings: [], evidence: [], verdict: "skip" };
  }
  const scan = scanClients(model, services);
  const judgements = services.map((service) => judgeService(model, plan, service, scan));
  const summary =
    judgements.length === 1
      ? judgements[0]!.summary
      : judgements.map((judgement, index) => `${services[index]!.name}: ${judgement.summary}`).join(" ");
  return {
    summary,
    findings: judgements.flatMap((judgement) => judgement.findings),
    evidence: judgements.flatMap((judgement) => judgement.evidence),
    facts: { externalServices: judgements.map((judgement) => judgement.facts) },
  };
}

export const externalServiceChecks: CheckDefinition[] = [
  {
    id: "MP-EXT-01",
    category: "external-services",
    title: "External databases are passed through on every port in use",
    proves:
      "Each external service in the plan has a MESH_EXTERNAL ServiceEntry with the right port protocols (TCP for Postgres and MySQL), a DestinationRule with tls.mode DISABLE when the client does its own TLS, visibility in the client namespaces, and a declared port for every port meshed workloads dial.",
    reads: [
      "ServiceEntries",
      "DestinationRules",
      "Pods of meshed workloads (env values, envFrom and mounted ConfigMaps; Secrets are never read)",
      "ConfigMaps",
      "ConfigMap istio (outboundTrafficPolicy)",
      "plan: externalServices, mesh.namespaces",
    ],
    needs: ["serviceentries.networking.istio.io", "destinationrules.networking.istio.io", "pods"],
    requiresPlan: true,
    run: ({ model, plan }) => runExternalServices(model, plan!),
  },
];
