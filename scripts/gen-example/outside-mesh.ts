/** The namespaces outside the mesh: Vault, ESO, ingress-nginx, the control apps, Prometheus, kube-system. */

import type { Doc } from "./common.js";
import { addSeconds } from "./common.js";
import {
  configMap,
  container,
  env,
  execProbe,
  fieldEnv,
  httpGetProbe,
  ingress,
  object,
  requests,
  restrictedSecurityContext,
  service,
  serviceAccount,
} from "./objects.js";
import { deployment, statefulSet } from "./workloads.js";

// ---------------------------------------------------------------------------------------------
// The namespaces outside the mesh

export function vault(): Doc[] {
  const ns = "vault";
  const created = "2026-04-02T09:20:11Z";
  const labels = { "app.kubernetes.io/instance": "vault", "app.kubernetes.io/name": "vault" };
  const chartLabels = { ...labels, "app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "vault-0.28.1" };
  const helm = { "meta.helm.sh/release-name": "vault", "meta.helm.sh/release-namespace": ns };
  return [
    serviceAccount(ns, "default", "2026-04-02T09:19:58Z"),
    serviceAccount(ns, "vault", created, chartLabels),
    configMap(
      ns,
      "vault-config",
      created,
      {
        extraconfig: `disable_mlock = true\nui = true\n\nlistener "tcp" {\n  tls_disable = 1\n  address = "[::]:8200"\n  cluster_address = "[::]:8201"\n}\nstorage "raft" {\n  path = "/vault/data"\n}\n\nservice_registration "kubernetes" {}\n`,
      },
      chartLabels,
      helm,
    ),
    service({
      namespace: ns,
      name: "vault",
      created,
      labels: chartLabels,
      annotations: helm,
      selector: { ...labels, component: "server" },
      publishNotReadyAddresses: true,
      ports: [
        { name: "http", port: 8200, targetPort: 8200 },
        { name: "https-internal", port: 8201, targetPort: 8201 },
      ],
    }),
    service({
      namespace: ns,
      name: "vault-internal",
      created,
      labels: { ...chartLabels, "vault-internal": "true" },
      annotations: helm,
      selector: { ...labels, component: "server" },
      headless: true,
      publishNotReadyAddresses: true,
      ports: [
        { name: "http", port: 8200, targetPort: 8200 },
        { name: "https-internal", port: 8201, targetPort: 8201 },
      ],
    }),
    ...statefulSet({
      namespace: ns,
      name: "vault",
      created,
      labels: chartLabels,
      annotations: helm,
      selector: { ...labels, component: "server" },
      serviceName: "vault-internal",
      template: {
        labels: { ...labels, component: "server", "helm.sh/chart": "vault-0.28.1" },
        spec: {
          serviceAccountName: "vault",
          securityContext: { fsGroup: 1000, runAsGroup: 1000, runAsNonRoot: true, runAsUser: 100 },
          terminationGracePeriodSeconds: 10,
          containers: [
            container({
              name: "vault",
              image: "hashicorp/vault:1.17.2",
              command: ["/bin/sh", "-ec"],
              args: [
                "cp /vault/config/extraconfig-from-values.hcl /tmp/storageconfig.hcl;\n/usr/local/bin/docker-entrypoint.sh vault server -config=/tmp/storageconfig.hcl \n",
              ],
              env: [
                fieldEnv("HOST_IP", "status.hostIP"),
                fieldEnv("POD_IP", "status.podIP"),
                env("VAULT_K8S_POD_NAME", "vault-0"),
                env("VAULT_K8S_NAMESPACE", ns),
                env("VAULT_ADDR", "http://127.0.0.1:8200"),
                env("VAULT_API_ADDR", "http://$(POD_IP):8200"),
                env("SKIP_CHOWN", "true"),
                env("SKIP_SETCAP", "true"),
                env("VAULT_CLUSTER_ADDR", "https://$(HOSTNAME).vault-internal:8201"),
                env("HOME", "/home/vault"),
              ],
              ports: [
                { name: "http", containerPort: 8200 },
                { name: "https-internal", containerPort: 8201 },
                { name: "http-rep", containerPort: 8202 },
              ],
              readinessProbe: execProbe(["/bin/sh", "-ec", "vault status -tls-skip-verify"], {
                failureThreshold: 2,
                initialDelaySeconds: 5,
                periodSeconds: 5,
                timeoutSeconds: 3,
              }),
              volumeMounts: [
                { mountPath: "/vault/data", name: "data" },
                { mountPath: "/vault/config", name: "config" },
                { mountPath: "/home/vault", name: "home" },
              ],
            }),
          ],
          volumes: [
            { configMap: { defaultMode: 420, name: "vault-config" }, name: "config" },
            { emptyDir: {}, name: "home" },
          ],
        },
      },
      pods: [{ node: 3, created: "2026-06-10T07:45:33Z" }],
      volumeClaims: [{ name: "data", storage: "10Gi" }],
    }),
    object(
      "security.istio.io/v1",
      "PeerAuthentication",
      { name: "vault-permissive", namespace: ns, created: "2026-06-28T18:05:00Z", generation: 1 },
      { spec: { mtls: { mode: "PERMISSIVE" }, selector: { matchLabels: { "app.kubernetes.io/name": "vault" } } } },
    ),
  ];
}

export function externalSecrets(): Doc[] {
  const ns = "external-secrets";
  const created = "2026-04-03T11:02:47Z";
  const labels = { "app.kubernetes.io/instance": "external-secrets", "app.kubernetes.io/name": "external-secrets" };
  const chartLabels = {
    ...labels,
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/version": "v0.10.4",
    "helm.sh/chart": "external-secrets-0.10.4",
  };
  return [
    serviceAccount(ns, "default", "2026-04-03T11:02:31Z"),
    serviceAccount(ns, "external-secrets", created, chartLabels),
    ...deployment({
      namespace: ns,
      name: "external-secrets",
      created,
      generation: 1,
      labels: chartLabels,
      annotations: { "meta.helm.sh/release-name": "external-secrets", "meta.helm.sh/release-namespace": ns },
      selector: labels,
      template: {
        labels: { ...chartLabels },
        spec: {
          serviceAccountName: "external-secrets",
          automountServiceAccountToken: true,
          containers: [
            container({
              name: "external-secrets",
              image: "ghcr.io/external-secrets/external-secrets:v0.10.4",
              args: ["--concurrent=1", "--metrics-addr=:8080", "--loglevel=info", "--zap-time-encoding=epoch"],
              ports: [{ name: "metrics", containerPort: 8080 }],
              securityContext: {
                ...restrictedSecurityContext,
                runAsUser: 1000,
                seccompProfile: { type: "RuntimeDefault" },
              },
            }),
          ],
        },
      },
      replicaSetCreated: created,
      pods: [{ node: 4, created: "2026-05-31T03:24:18Z" }],
    }),
    object(
      "external-secrets.io/v1beta1",
      "ClusterSecretStore",
      { name: "vault-backend", created: "2026-04-03T11:20:05Z", generation: 1 },
      {
        spec: {
          provider: {
            vault: {
              auth: {
                kubernetes: {
                  mountPath: "kubernetes",
                  role: "external-secrets",
                  serviceAccountRef: { name: "external-secrets", namespace: ns },
                },
              },
              path: "secret",
              server: "http://vault.vault.svc.cluster.local:8200",
              version: "v2",
            },
          },
        },
        status: {
          capabilities: "ReadWrite",
          conditions: [
            {
              lastTransitionTime: "2026-04-03T11:20:06Z",
              message: "store validated",
              reason: "Valid",
              status: "True",
              type: "Ready",
            },
          ],
        },
      },
    ),
  ];
}

export function ingressNginx(): Doc[] {
  const ns = "ingress-nginx";
  const created = "2026-03-02T11:05:40Z";
  const selector = {
    "app.kubernetes.io/component": "controller",
    "app.kubernetes.io/instance": "ingress-nginx",
    "app.kubernetes.io/name": "ingress-nginx",
  };
  const labels = {
    ...selector,
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/part-of": "ingress-nginx",
    "app.kubernetes.io/version": "1.11.2",
    "helm.sh/chart": "ingress-nginx-4.11.2",
  };
  const helm = { "meta.helm.sh/release-name": "ingress-nginx", "meta.helm.sh/release-namespace": ns };
  return [
    serviceAccount(ns, "default", "2026-03-02T11:05:31Z"),
    serviceAccount(ns, "ingress-nginx", created, labels),
    configMap(
      ns,
      "ingress-nginx-controller",
      created,
      { "allow-snippet-annotations": "false", "use-forwarded-headers": "true" },
      labels,
      helm,
    ),
    service({
      namespace: ns,
      name: "ingress-nginx-controller",
      created,
      labels,
      annotations: { ...helm, "service.beta.kubernetes.io/do-loadbalancer-enable-proxy-protocol": "false" },
      selector,
      type: "LoadBalancer",
      ports: [
        { name: "http", port: 80, targetPort: "http", nodePort: 30817, appProtocol: "http" },
        { name: "https", port: 443, targetPort: "https", nodePort: 31442, appProtocol: "https" },
      ],
    }),
    service({
      namespace: ns,
      name: "ingress-nginx-controller-admission",
      created,
      labels,
      annotations: helm,
      selector,
      ports: [{ name: "https-webhook", port: 443, targetPort: "webhook", appProtocol: "https" }],
    }),
    ...deployment({
      namespace: ns,
      name: "ingress-nginx-controller",
      created,
      generation: 3,
      labels,
      annotations: helm,
      selector,
      template: {
        labels,
        spec: {
          serviceAccountName: "ingress-nginx",
          hostNetwork: false,
          terminationGracePeriodSeconds: 300,
          nodeSelector: { "kubernetes.io/os": "linux" },
          containers: [
            container({
              name: "controller",
              image:
                "registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:d5f8217feeac4887cb1ed21f27c2674e58be06bd8f5184cacea2a69abaf78dce",
              args: [
                "/nginx-ingress-controller",
                "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
                "--election-id=ingress-nginx-leader",
                "--controller-class=k8s.io/ingress-nginx",
                "--ingress-class=nginx",
                "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
                "--validating-webhook=:8443",
                "--validating-webhook-certificate=/usr/local/certificates/cert",
                "--validating-webhook-key=/usr/local/certificates/key",
              ],
              env: [
                fieldEnv("POD_NAME", "metadata.name"),
                fieldEnv("POD_NAMESPACE", "metadata.namespace"),
                env("LD_PRELOAD", "/usr/local/lib/libmimalloc.so"),
              ],
              ports: [
                { name: "http", containerPort: 80 },
                { name: "https", containerPort: 443 },
                { name: "webhook", containerPort: 8443 },
              ],
              readinessProbe: httpGetProbe("/healthz", 10254),
              livenessProbe: httpGetProbe("/healthz", 10254, { failureThreshold: 5, initialDelaySeconds: 10 }),
              resources: { requests: { cpu: "100m", memory: "90Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                readOnlyRootFilesystem: false,
                runAsNonRoot: true,
                runAsUser: 101,
                seccompProfile: { type: "RuntimeDefault" },
              },
              volumeMounts: [{ mountPath: "/usr/local/certificates/", name: "webhook-cert", readOnly: true }],
            }),
          ],
          volumes: [{ name: "webhook-cert", secret: { defaultMode: 420, secretName: "ingress-nginx-admission" } }],
        },
      },
      replicaSetCreated: "2026-05-31T03:30:52Z",
      pods: [{ node: 5, created: "2026-05-31T03:31:07Z" }],
    }),
  ];
}

export interface SimpleAppInput {
  namespace: string;
  name: string;
  image: string;
  created: string;
  podCreated: string;
  node: number;
  containerPort: number;
  readiness: Doc;
  env?: Doc[];
  args?: string[];
  host?: string;
  extraPorts?: Array<{ name: string; containerPort: number }>;
}

export function simpleApp(input: SimpleAppInput): Doc[] {
  const labels = { app: input.name, "app.kubernetes.io/name": input.name };
  const docs: Doc[] = [
    serviceAccount(input.namespace, "default", addSeconds(input.created, -12)),
    service({
      namespace: input.namespace,
      name: input.name,
      created: input.created,
      labels,
      selector: { app: input.name },
      ports: [{ name: "http", port: 80, targetPort: input.containerPort }],
    }),
    ...deployment({
      namespace: input.namespace,
      name: input.name,
      created: input.created,
      generation: 2,
      labels,
      selector: { app: input.name },
      template: {
        labels,
        spec: {
          containers: [
            container({
              name: input.name,
              image: input.image,
              args: input.args,
              env: input.env,
              ports: [{ name: "http", containerPort: input.containerPort }, ...(input.extraPorts ?? [])],
              readinessProbe: input.readiness,
              resources: requests("100m", "256Mi", "1Gi"),
            }),
          ],
        },
      },
      replicaSetCreated: addSeconds(input.podCreated, -1),
      pods: [{ node: input.node, created: input.podCreated }],
    }),
  ];
  if (input.host) docs.push(ingress(input.namespace, input.name, input.host, input.name, 80, input.created));
  return docs;
}

export function monitoring(): Doc[] {
  const ns = "monitoring";
  const created = "2026-03-05T14:40:22Z";
  const labels = { app: "prometheus", "app.kubernetes.io/name": "prometheus" };
  return [
    serviceAccount(ns, "default", "2026-03-05T14:40:10Z"),
    serviceAccount(ns, "prometheus", created, labels),
    service({
      namespace: ns,
      name: "prometheus",
      created,
      labels,
      selector: { app: "prometheus" },
      ports: [{ name: "http-web", port: 9090, targetPort: 9090 }],
    }),
    ...deployment({
      namespace: ns,
      name: "prometheus",
      created,
      generation: 4,
      labels,
      selector: { app: "prometheus" },
      template: {
        labels,
        spec: {
          serviceAccountName: "prometheus",
          securityContext: { fsGroup: 65534, runAsGroup: 65534, runAsNonRoot: true, runAsUser: 65534 },
          containers: [
            container({
              name: "prometheus",
              image: "quay.io/prometheus/prometheus:v2.54.1",
              args: [
                "--config.file=/etc/prometheus/prometheus.yml",
                "--storage.tsdb.path=/prometheus",
                "--storage.tsdb.retention.time=15d",
                "--web.enable-lifecycle",
              ],
              ports: [{ name: "http-web", containerPort: 9090 }],
              readinessProbe: httpGetProbe("/-/ready", 9090, { initialDelaySeconds: 10, timeoutSeconds: 4 }),
              resources: requests("250m", "1Gi", "4Gi"),
              volumeMounts: [
                { mountPath: "/etc/prometheus", name: "config" },
                { mountPath: "/prometheus", name: "storage" },
              ],
            }),
          ],
          volumes: [
            { configMap: { defaultMode: 420, name: "prometheus-config" }, name: "config" },
            { emptyDir: {}, name: "storage" },
          ],
        },
      },
      replicaSetCreated: "2026-05-31T03:28:40Z",
      pods: [{ node: 0, created: "2026-05-31T03:28:41Z" }],
    }),
  ];
}

export function kubeSystem(): Doc[] {
  const ns = "kube-system";
  const created = "2026-03-02T10:14:56Z";
  const labels = { "k8s-app": "kube-dns" };
  return [
    serviceAccount(ns, "coredns", created),
    configMap(ns, "coredns", created, {
      Corefile:
        ".:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n",
    }),
    service({
      namespace: ns,
      name: "kube-dns",
      created,
      labels: { ...labels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" },
      annotations: { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" },
      selector: labels,
      ports: [
        { name: "dns", port: 53, targetPort: 53, protocol: "UDP" },
        { name: "dns-tcp", port: 53, targetPort: 53 },
        { name: "metrics", port: 9153, targetPort: 9153 },
      ],
    }),
    ...deployment({
      namespace: ns,
      name: "coredns",
      created,
      generation: 5,
      labels: { ...labels, "kubernetes.io/name": "CoreDNS" },
      selector: labels,
      template: {
        labels,
        spec: {
          serviceAccountName: "coredns",
          priorityClassName: "system-cluster-critical",
          dnsPolicy: "Default",
          nodeSelector: { "kubernetes.io/os": "linux" },
          containers: [
            container({
              name: "coredns",
              image: "registry.k8s.io/coredns/coredns:v1.12.1",
              args: ["-conf", "/etc/coredns/Corefile"],
              ports: [
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53 },
                { name: "metrics", containerPort: 9153 },
              ],
              livenessProbe: httpGetProbe("/health", 8080, {
                failureThreshold: 5,
                initialDelaySeconds: 60,
                timeoutSeconds: 5,
              }),
              readinessProbe: httpGetProbe("/ready", 8181),
              resources: { limits: { memory: "170Mi" }, requests: { cpu: "100m", memory: "70Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                readOnlyRootFilesystem: true,
              },
              volumeMounts: [{ mountPath: "/etc/coredns", name: "config-volume", readOnly: true }],
            }),
          ],
          volumes: [
            {
              configMap: { defaultMode: 420, items: [{ key: "Corefile", path: "Corefile" }], name: "coredns" },
              name: "config-volume",
            },
          ],
        },
      },
      replicaSetCreated: "2026-05-31T03:06:12Z",
      pods: [
        { node: 0, created: "2026-05-31T03:06:12Z" },
        { node: 3, created: "2026-05-31T03:12:47Z" },
      ],
    }),
  ];
}
