/** SPIRE: the server in spire-server, agents and the SPIFFE CSI driver in spire-system. */

import type { Doc, Labels } from "./common.js";
import { addSeconds, CLUSTER, SPIRE_CA_PEM, TRUST_DOMAIN } from "./common.js";
import {
  configMap,
  container,
  env,
  fieldEnv,
  httpGetProbe,
  object,
  restrictedSecurityContext,
  service,
  serviceAccount,
} from "./objects.js";
import type { TemplateInput } from "./workloads.js";
import { daemonSet, statefulSet } from "./workloads.js";

// ---------------------------------------------------------------------------------------------
// SPIRE: spire-server and spire-system

export const SPIRE_SERVER_CONF = `server {
  bind_address = "0.0.0.0"
  bind_port = "8081"
  socket_path = "/tmp/spire-server/private/api.sock"
  trust_domain = "${TRUST_DOMAIN}"
  data_dir = "/run/spire/data"
  log_level = "INFO"
  log_format = "text"
  ca_key_type = "ec-p256"
  ca_ttl = "24h"
  ca_subject {
    country = ["US"]
    organization = ["SPIFFE"]
    common_name = ""
  }
  default_x509_svid_ttl = "1h"
  default_jwt_svid_ttl = "5m"
}

plugins {
  DataStore "sql" {
    plugin_data {
      database_type = "sqlite3"
      connection_string = "/run/spire/data/datastore.sqlite3"
    }
  }

  KeyManager "disk" {
    plugin_data {
      keys_path = "/run/spire/data/keys.json"
    }
  }

  NodeAttestor "k8s_psat" {
    plugin_data {
      clusters = {
        "${CLUSTER}" = {
          service_account_allow_list = ["spire-system:spire-agent"]
        }
      }
    }
  }

  Notifier "k8sbundle" {
    plugin_data {
      namespace = "spire-system"
      config_map = "spire-bundle"
    }
  }
}

health_checks {
  listener_enabled = true
  bind_address = "0.0.0.0"
  bind_port = "8080"
  live_path = "/live"
  ready_path = "/ready"
}
`;

export const CONTROLLER_MANAGER_CONFIG = `apiVersion: spire.spiffe.io/v1alpha1
kind: ControllerManagerConfig
metadata:
  name: spire-controller-manager
metrics:
  bindAddress: 0.0.0.0:8082
health:
  healthProbeBindAddress: 0.0.0.0:8083
leaderElection:
  leaderElect: true
  resourceName: spire-controller-manager-leader-election
  resourceNamespace: spire-server
validatingWebhookConfigurationName: spire-server-spire-controller-manager-webhook
clusterName: ${CLUSTER}
trustDomain: ${TRUST_DOMAIN}
ignoreNamespaces:
  - kube-system
  - kube-public
  - spire-system
  - spire-server
spireServerSocketPath: /tmp/spire-server/private/api.sock
entryIDPrefix: ${CLUSTER}
`;

export const SPIRE_AGENT_CONF = `agent {
  data_dir = "/run/spire"
  log_level = "INFO"
  log_format = "text"
  server_address = "spire-server.spire-server"
  server_port = "443"
  socket_path = "/run/secrets/workload-spiffe-uds/socket"
  trust_bundle_path = "/run/spire/bundle/bundle.crt"
  trust_domain = "${TRUST_DOMAIN}"

  sds {
    default_svid_name = "default"
    default_bundle_name = "ROOTCA"
    default_all_bundles_name = "ALL"
  }
}

plugins {
  NodeAttestor "k8s_psat" {
    plugin_data {
      cluster = "${CLUSTER}"
    }
  }

  KeyManager "memory" {
    plugin_data {
    }
  }

  WorkloadAttestor "k8s" {
    plugin_data {
      disable_container_selectors = false
      node_name_env = "MY_NODE_NAME"
      use_new_container_locator = true
    }
  }
}

health_checks {
  listener_enabled = true
  bind_address = "0.0.0.0"
  bind_port = "9982"
  live_path = "/live"
  ready_path = "/ready"
}
`;

export const SPIRE_AGENT_PODS = [
  "spire-agent-55q2n",
  "spire-agent-6nx2n",
  "spire-agent-9ttjf",
  "spire-agent-bn5t4",
  "spire-agent-tlbhg",
  "spire-agent-zmhql",
];

export const SPIFFE_CSI_PODS = [
  "spire-spiffe-csi-driver-dcb6w",
  "spire-spiffe-csi-driver-fhnn2",
  "spire-spiffe-csi-driver-gjtd6",
  "spire-spiffe-csi-driver-kwg7l",
  "spire-spiffe-csi-driver-nlgmg",
  "spire-spiffe-csi-driver-sdghj",
];

export function spireChartLabels(component: string): Labels {
  return {
    "app.kubernetes.io/instance": "spire",
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/name": component,
    "app.kubernetes.io/version": "1.10.4",
    "helm.sh/chart": `${component}-0.22.0`,
  };
}

export function spire(): Doc[] {
  const installed = "2026-06-25T15:10:12Z";
  const serverNs = "spire-server";
  const agentNs = "spire-system";
  const serverLabels = spireChartLabels("server");
  const agentLabels = spireChartLabels("agent");
  const csiLabels = spireChartLabels("spiffe-csi-driver");
  const helm = { "meta.helm.sh/release-name": "spire", "meta.helm.sh/release-namespace": serverNs };

  const server = statefulSet({
    namespace: serverNs,
    name: "spire-server",
    created: installed,
    labels: serverLabels,
    annotations: helm,
    selector: { "app.kubernetes.io/instance": "spire", "app.kubernetes.io/name": "server" },
    serviceName: "spire-server",
    template: {
      labels: {
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/instance": "spire",
        "app.kubernetes.io/name": "server",
        component: "server",
        release: "spire",
      },
      annotations: { "kubectl.kubernetes.io/default-container": "spire-server" },
      spec: {
        serviceAccountName: "spire-server",
        securityContext: { fsGroup: 1000, fsGroupChangePolicy: "OnRootMismatch", runAsGroup: 1000, runAsUser: 1000 },
        containers: [
          container({
            name: "spire-server",
            image: "ghcr.io/spiffe/spire-server:1.10.4",
            args: ["-expandEnv", "-config", "/run/spire/config/server.conf"],
            env: [env("PATH", "/opt/spire/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")],
            ports: [
              { name: "grpc", containerPort: 8081 },
              { name: "healthz", containerPort: 8080 },
              { name: "prom", containerPort: 9988 },
            ],
            livenessProbe: httpGetProbe("/live", "healthz", {
              initialDelaySeconds: 15,
              periodSeconds: 60,
              timeoutSeconds: 3,
            }),
            readinessProbe: httpGetProbe("/ready", "healthz", { initialDelaySeconds: 5, periodSeconds: 5 }),
            securityContext: restrictedSecurityContext,
            volumeMounts: [
              { mountPath: "/run/spire/data", name: "spire-data" },
              { mountPath: "/run/spire/config", name: "spire-config", readOnly: true },
              { mountPath: "/tmp/spire-server/private", name: "server-socket" },
            ],
          }),
          container({
            name: "spire-controller-manager",
            image: "ghcr.io/spiffe/spire-controller-manager:0.6.0",
            args: ["--config=controller-manager-config.yaml"],
            env: [env("ENABLE_WEBHOOKS", "true")],
            ports: [
              { name: "https", containerPort: 9443 },
              { name: "healthz", containerPort: 8083 },
              { name: "prom2", containerPort: 8082 },
            ],
            livenessProbe: httpGetProbe("/healthz", "healthz"),
            readinessProbe: httpGetProbe("/readyz", "healthz"),
            securityContext: restrictedSecurityContext,
            volumeMounts: [
              { mountPath: "/tmp/spire-server/private", name: "server-socket", readOnly: true },
              {
                mountPath: "/controller-manager-config.yaml",
                name: "controller-manager-config",
                subPath: "controller-manager-config.yaml",
              },
              { mountPath: "/tmp", name: "spire-controller-manager-tmp" },
            ],
          }),
        ],
        volumes: [
          { configMap: { defaultMode: 420, name: "spire-server" }, name: "spire-config" },
          { emptyDir: {}, name: "server-socket" },
          { configMap: { defaultMode: 420, name: "spire-controller-manager" }, name: "controller-manager-config" },
          { emptyDir: {}, name: "spire-controller-manager-tmp" },
        ],
      },
    },
    pods: [{ node: 1, created: addSeconds(installed, 2) }],
    volumeClaims: [{ name: "spire-data", storage: "1Gi" }],
  });

  const agentTemplate: TemplateInput = {
    labels: {
      "app.kubernetes.io/instance": "spire",
      "app.kubernetes.io/name": "agent",
      component: "default",
      release: "spire",
    },
    annotations: { "kubectl.kubernetes.io/default-container": "spire-agent" },
    spec: {
      serviceAccountName: "spire-agent",
      priorityClassName: "system-node-critical",
      securityContext: { fsGroup: 1000, fsGroupChangePolicy: "OnRootMismatch", runAsGroup: 1000, runAsUser: 1000 },
      containers: [
        container({
          name: "spire-agent",
          image: "ghcr.io/spiffe/spire-agent:1.10.4",
          args: ["-config", "/opt/spire/conf/agent/agent.conf"],
          env: [
            env("PATH", "/opt/spire/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
            fieldEnv("MY_NODE_NAME", "spec.nodeName"),
          ],
          ports: [
            { name: "healthz", containerPort: 9982 },
            { name: "prom", containerPort: 9988 },
          ],
          livenessProbe: httpGetProbe("/live", "healthz", { initialDelaySeconds: 15, periodSeconds: 60 }),
          readinessProbe: httpGetProbe("/ready", "healthz", { initialDelaySeconds: 5, periodSeconds: 5 }),
          securityContext: restrictedSecurityContext,
          volumeMounts: [
            { mountPath: "/opt/spire/conf/agent", name: "spire-config", readOnly: true },
            { mountPath: "/run/spire/data", name: "spire-agent-persistence" },
            { mountPath: "/run/spire/bundle", name: "spire-bundle", readOnly: true },
            { mountPath: "/run/secrets/workload-spiffe-uds", name: "spire-agent-socket-dir" },
            { mountPath: "/var/run/secrets/tokens", name: "spire-token" },
          ],
        }),
      ],
      volumes: [
        { configMap: { defaultMode: 420, name: "spire-agent" }, name: "spire-config" },
        { emptyDir: {}, name: "spire-agent-persistence" },
        { configMap: { defaultMode: 420, name: "spire-bundle" }, name: "spire-bundle" },
        {
          name: "spire-token",
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { audience: "spire-server", expirationSeconds: 7200, path: "spire-agent" } },
            ],
          },
        },
        { hostPath: { path: "/run/spire/agent-sockets", type: "DirectoryOrCreate" }, name: "spire-agent-socket-dir" },
      ],
    },
  };

  const csiTemplate: TemplateInput = {
    labels: {
      "app.kubernetes.io/instance": "spire",
      "app.kubernetes.io/name": "spiffe-csi-driver",
      release: "spire",
    },
    annotations: { "kubectl.kubernetes.io/default-container": "spiffe-csi-driver" },
    spec: {
      serviceAccountName: "spire-spiffe-csi-driver",
      priorityClassName: "system-node-critical",
      containers: [
        container({
          name: "spiffe-csi-driver",
          image: "ghcr.io/spiffe/spiffe-csi-driver:0.2.6",
          args: [
            "-workload-api-socket-dir",
            "/spire-agent-socket",
            "-plugin-name",
            "csi.spiffe.io",
            "-csi-socket-path",
            "/spiffe-csi/csi.sock",
          ],
          env: [fieldEnv("MY_NODE_NAME", "spec.nodeName")],
          securityContext: { privileged: true, readOnlyRootFilesystem: true },
          volumeMounts: [
            { mountPath: "/spire-agent-socket", name: "spire-agent-socket-dir", readOnly: true },
            { mountPath: "/spiffe-csi", name: "spiffe-csi-socket-dir" },
            { mountPath: "/var/lib/kubelet/pods", mountPropagation: "Bidirectional", name: "mountpoint-dir" },
          ],
        }),
        container({
          name: "node-driver-registrar",
          image: "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.10.1",
          args: [
            "-csi-address",
            "/spiffe-csi/csi.sock",
            "-kubelet-registration-path",
            "/var/lib/kubelet/plugins/csi.spiffe.io/csi.sock",
            "-health-port",
            "9809",
          ],
          ports: [{ name: "healthz", containerPort: 9809 }],
          livenessProbe: httpGetProbe("/healthz", "healthz", { initialDelaySeconds: 5, timeoutSeconds: 5 }),
          volumeMounts: [
            { mountPath: "/spiffe-csi", name: "spiffe-csi-socket-dir" },
            { mountPath: "/registration", name: "kubelet-plugin-registration-dir" },
          ],
        }),
      ],
      volumes: [
        { hostPath: { path: "/run/spire/agent-sockets", type: "DirectoryOrCreate" }, name: "spire-agent-socket-dir" },
        {
          hostPath: { path: "/var/lib/kubelet/plugins/csi.spiffe.io", type: "DirectoryOrCreate" },
          name: "spiffe-csi-socket-dir",
        },
        { hostPath: { path: "/var/lib/kubelet/pods", type: "Directory" }, name: "mountpoint-dir" },
        {
          hostPath: { path: "/var/lib/kubelet/plugins_registry", type: "Directory" },
          name: "kubelet-plugin-registration-dir",
        },
      ],
    },
  };

  return [
    serviceAccount(serverNs, "default", "2026-06-25T15:09:58Z"),
    serviceAccount(serverNs, "spire-server", installed, serverLabels),
    configMap(serverNs, "spire-server", installed, { "server.conf": SPIRE_SERVER_CONF }, serverLabels, helm),
    configMap(
      serverNs,
      "spire-controller-manager",
      installed,
      { "controller-manager-config.yaml": CONTROLLER_MANAGER_CONFIG },
      serverLabels,
      helm,
    ),
    service({
      namespace: serverNs,
      name: "spire-server",
      created: installed,
      labels: serverLabels,
      selector: { "app.kubernetes.io/instance": "spire", "app.kubernetes.io/name": "server" },
      ports: [{ name: "grpc", port: 443, targetPort: "grpc" }],
    }),
    ...server,
    serviceAccount(agentNs, "default", "2026-06-25T15:09:58Z"),
    serviceAccount(agentNs, "spire-agent", installed, agentLabels),
    serviceAccount(agentNs, "spire-spiffe-csi-driver", installed, csiLabels),
    configMap(agentNs, "spire-agent", installed, { "agent.conf": SPIRE_AGENT_CONF }, agentLabels, helm),
    configMap(agentNs, "spire-bundle", installed, { "bundle.crt": SPIRE_CA_PEM }, serverLabels, helm),
    ...daemonSet({
      namespace: agentNs,
      name: "spire-agent",
      created: addSeconds(installed, 1),
      labels: { ...agentLabels, "app.kubernetes.io/component": "default" },
      selector: { "app.kubernetes.io/instance": "spire", "app.kubernetes.io/name": "agent" },
      template: agentTemplate,
      podNames: SPIRE_AGENT_PODS,
    }),
    ...daemonSet({
      namespace: agentNs,
      name: "spire-spiffe-csi-driver",
      created: addSeconds(installed, 1),
      labels: csiLabels,
      selector: { "app.kubernetes.io/instance": "spire", "app.kubernetes.io/name": "spiffe-csi-driver" },
      template: csiTemplate,
      podNames: SPIFFE_CSI_PODS,
    }),
    object(
      "storage.k8s.io/v1",
      "CSIDriver",
      { name: "csi.spiffe.io", created: installed, labels: csiLabels, annotations: helm },
      {
        spec: {
          attachRequired: false,
          fsGroupPolicy: "None",
          podInfoOnMount: true,
          requiresRepublish: false,
          seLinuxMount: false,
          storageCapacity: false,
          volumeLifecycleModes: ["Ephemeral"],
        },
      },
    ),
    object(
      "spire.spiffe.io/v1alpha1",
      "ClusterSPIFFEID",
      { name: "spire-istio", created: "2026-06-25T15:42:30Z", generation: 1 },
      {
        spec: {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "sre" } },
          podSelector: { matchLabels: { "security.istio.io/tlsMode": "istio" } },
          spiffeIDTemplate:
            "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
        },
        status: {
          stats: {
            entriesMasked: 0,
            entriesToSet: 10,
            entryFailures: 0,
            namespacesIgnored: 4,
            namespacesSelected: 1,
            podEntryRenderFailures: 0,
            podsSelected: 10,
          },
        },
      },
    ),
  ];
}
