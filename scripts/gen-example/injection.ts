/** Istio 1.23 sidecar injection with the `sidecar,spire` templates, applied to a pod. */

import type { Doc, Labels } from "./common.js";
import { PROXY_IMAGE, TRUST_DOMAIN } from "./common.js";
import type { Owner } from "./objects.js";
import { container, env, fieldEnv, httpGetProbe, resourceEnv } from "./objects.js";

// ---------------------------------------------------------------------------------------------
// Istio sidecar injection, as the 1.23 webhook with the `sidecar,spire` templates mutates a pod

export type MeshMode = "classic" | "native";

export const proxyResources: Doc = { limits: { cpu: "2", memory: "1Gi" }, requests: { cpu: "100m", memory: "128Mi" } };

export function istioInitContainer(): Doc {
  return container({
    name: "istio-init",
    image: PROXY_IMAGE,
    args: [
      "istio-iptables",
      "-p",
      "15001",
      "-z",
      "15006",
      "-u",
      "1337",
      "-m",
      "REDIRECT",
      "-i",
      "*",
      "-x",
      "",
      "-b",
      "*",
      "-d",
      "15090,15021,15020",
      "--log_output_level=default:info",
    ],
    resources: proxyResources,
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    },
  });
}

export interface ProxyContext {
  workloadName: string;
  ownerPath: string;
  appContainers: Doc[];
  probers: Record<string, Doc>;
  mode: MeshMode;
}

export function istioProxyContainer(context: ProxyContext): Doc {
  const podPorts = context.appContainers.flatMap((app) =>
    ((app.ports as Doc[] | undefined) ?? []).map((port) =>
      JSON.stringify({ name: port.name, containerPort: port.containerPort, protocol: port.protocol }),
    ),
  );
  const proxyEnv: Doc[] = [
    env("PILOT_CERT_PROVIDER", "istiod"),
    env("CA_ADDR", "istiod.istio-system.svc:15012"),
    fieldEnv("POD_NAME", "metadata.name"),
    fieldEnv("POD_NAMESPACE", "metadata.namespace"),
    fieldEnv("INSTANCE_IP", "status.podIP"),
    fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
    fieldEnv("HOST_IP", "status.hostIP"),
    resourceEnv("ISTIO_CPU_LIMIT", "limits.cpu"),
    env("PROXY_CONFIG", '{"discoveryAddress":"istiod.istio-system.svc:15012"}\n'),
    // Rendered by the template's range loop: one port per line, commas leading from the second on.
    env("ISTIO_META_POD_PORTS", `[\n    ${podPorts.join("\n    ,")}\n]`),
    env("ISTIO_META_APP_CONTAINERS", context.appContainers.map((app) => app.name).join(",")),
    resourceEnv("GOMEMLIMIT", "limits.memory"),
    resourceEnv("GOMAXPROCS", "limits.cpu"),
    env("ISTIO_META_CLUSTER_ID", "Kubernetes"),
    fieldEnv("ISTIO_META_NODE_NAME", "spec.nodeName"),
    env("ISTIO_META_INTERCEPTION_MODE", "REDIRECT"),
    env("ISTIO_META_WORKLOAD_NAME", context.workloadName),
    env("ISTIO_META_OWNER", context.ownerPath),
    env("ISTIO_META_MESH_ID", TRUST_DOMAIN),
    env("TRUST_DOMAIN", TRUST_DOMAIN),
  ];
  if (Object.keys(context.probers).length > 0) {
    proxyEnv.push(env("ISTIO_KUBE_APP_PROBERS", JSON.stringify(sortObject(context.probers))));
  }
  const volumeMounts: Doc[] = [
    { mountPath: "/var/run/secrets/workload-spiffe-uds", name: "workload-socket" },
    { mountPath: "/var/run/secrets/credential-uds", name: "credential-socket" },
    { mountPath: "/var/run/secrets/workload-spiffe-credentials", name: "workload-certs" },
    { mountPath: "/var/run/secrets/istio", name: "istiod-ca-cert" },
    { mountPath: "/var/lib/istio/data", name: "istio-data" },
    { mountPath: "/etc/istio/proxy", name: "istio-envoy" },
    { mountPath: "/var/run/secrets/tokens", name: "istio-token" },
    { mountPath: "/etc/istio/pod", name: "istio-podinfo" },
    // Added by the `spire` template: the SPIRE agent socket, served by the SPIFFE CSI driver.
    { mountPath: "/run/secrets/workload-spiffe-uds", name: "workload-socket", readOnly: true },
  ];
  return container({
    name: "istio-proxy",
    image: PROXY_IMAGE,
    args: [
      "proxy",
      "sidecar",
      "--domain",
      "$(POD_NAMESPACE).svc.cluster.local",
      "--proxyLogLevel=warning",
      "--proxyComponentLogLevel=misc:error",
      "--log_output_level=default:info",
    ],
    env: proxyEnv,
    ports: [{ name: "http-envoy-prom", containerPort: 15090 }],
    readinessProbe: httpGetProbe("/healthz/ready", 15021, {
      failureThreshold: 4,
      periodSeconds: 15,
      timeoutSeconds: 3,
    }),
    startupProbe: httpGetProbe("/healthz/ready", 15021, { failureThreshold: 600, periodSeconds: 1, timeoutSeconds: 3 }),
    resources: proxyResources,
    restartPolicy: context.mode === "native" ? "Always" : undefined,
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 1337,
      runAsNonRoot: true,
      runAsUser: 1337,
    },
    volumeMounts,
  });
}

export const injectedVolumeNames = [
  "workload-socket",
  "credential-socket",
  "workload-certs",
  "istio-envoy",
  "istio-data",
  "istio-podinfo",
  "istio-token",
  "istiod-ca-cert",
];

export function injectedVolumes(): Doc[] {
  return [
    // The `spire` template replaces the default emptyDir with the SPIFFE CSI volume.
    { csi: { driver: "csi.spiffe.io", readOnly: true }, name: "workload-socket" },
    { emptyDir: {}, name: "credential-socket" },
    { emptyDir: {}, name: "workload-certs" },
    { emptyDir: { medium: "Memory" }, name: "istio-envoy" },
    { emptyDir: {}, name: "istio-data" },
    {
      downwardAPI: {
        defaultMode: 420,
        items: [
          { fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels" }, path: "labels" },
          { fieldRef: { apiVersion: "v1", fieldPath: "metadata.annotations" }, path: "annotations" },
        ],
      },
      name: "istio-podinfo",
    },
    {
      name: "istio-token",
      projected: {
        defaultMode: 420,
        sources: [{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 43200, path: "istio-token" } }],
      },
    },
    { configMap: { defaultMode: 420, name: "istio-ca-root-cert" }, name: "istiod-ca-cert" },
  ];
}

/**
 * Rewrites the app's HTTP probes to pilot-agent on 15020, as the injector does unless
 * `sidecar.istio.io/rewriteAppHTTPProbers` is "false", and returns the original probes keyed by path.
 */
export function rewriteAppProbes(app: Doc): Record<string, Doc> {
  const probers: Record<string, Doc> = {};
  const kinds: Array<[string, string]> = [
    ["readinessProbe", "readyz"],
    ["livenessProbe", "livez"],
    ["startupProbe", "startupz"],
  ];
  for (const [field, suffix] of kinds) {
    const probe = app[field] as Doc | undefined;
    const httpGet = probe?.httpGet as Doc | undefined;
    if (!probe || !httpGet) continue;
    const key = `/app-health/${app.name as string}/${suffix}`;
    probers[key] = { httpGet: { ...httpGet }, timeoutSeconds: probe.timeoutSeconds };
    app[field] = { ...probe, httpGet: { path: key, port: 15020, scheme: "HTTP" } };
  }
  return probers;
}

/** Mutates a pod the way the Istio 1.23 injector does with templates `sidecar,spire`. */
export function injectSidecar(pod: Doc, mode: MeshMode, workload: Owner): void {
  const metadata = pod.metadata as Doc;
  const spec = pod.spec as Doc;
  const apps = spec.containers as Doc[];
  const probers: Record<string, Doc> = {};
  for (const app of apps) Object.assign(probers, rewriteAppProbes(app));

  const context: ProxyContext = {
    workloadName: workload.name,
    ownerPath: `kubernetes://apis/${workload.apiVersion}/namespaces/${workload.namespace}/${workload.kind.toLowerCase()}s/${workload.name}`,
    appContainers: apps,
    probers,
    mode,
  };
  const proxy = istioProxyContainer(context);
  const existingInit = (spec.initContainers as Doc[] | undefined) ?? [];
  if (mode === "native") {
    spec.initContainers = [istioInitContainer(), proxy, ...existingInit];
  } else {
    spec.initContainers = [istioInitContainer(), ...existingInit];
    spec.containers = [...apps, proxy];
  }
  spec.volumes = [...injectedVolumes(), ...((spec.volumes as Doc[] | undefined) ?? [])];

  const appName = apps[0]?.name as string;
  const labels = metadata.labels as Labels;
  labels["security.istio.io/tlsMode"] = "istio";
  labels["service.istio.io/canonical-name"] = labels.app ?? workload.name;
  labels["service.istio.io/canonical-revision"] = labels.version ?? "latest";
  const status = {
    initContainers: mode === "native" ? ["istio-init", "istio-proxy"] : ["istio-init"],
    containers: mode === "native" ? null : ["istio-proxy"],
    volumes: injectedVolumeNames,
    imagePullSecrets: null,
    revision: "default",
  };
  metadata.annotations = {
    ...((metadata.annotations as Labels | undefined) ?? {}),
    "istio.io/rev": "default",
    "kubectl.kubernetes.io/default-container": appName,
    "kubectl.kubernetes.io/default-logs-container": appName,
    "prometheus.io/path": "/stats/prometheus",
    "prometheus.io/port": "15020",
    "prometheus.io/scrape": "true",
    "sidecar.istio.io/status": JSON.stringify(status),
  };
}

export function sortObject(value: Record<string, Doc>): Record<string, Doc> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)));
}
