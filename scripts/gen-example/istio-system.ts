/** Namespace istio-system: istiod, its ConfigMaps and the injector webhook. */

import type { Doc, Labels } from "./common.js";
import { addSeconds, ISTIO_TAG, ISTIOD_ROOT_PEM, TRUST_DOMAIN } from "./common.js";
import {
  configMap,
  container,
  env,
  fieldEnv,
  httpGetProbe,
  istioCaRootCert,
  object,
  resourceEnv,
  restrictedSecurityContext,
  service,
  serviceAccount,
} from "./objects.js";
import type { TemplateInput } from "./workloads.js";
import { deployment } from "./workloads.js";

// ---------------------------------------------------------------------------------------------
// istio-system

export const MESH_CONFIG = `accessLogFile: /dev/stdout
defaultConfig:
  discoveryAddress: istiod.istio-system.svc:15012
defaultProviders:
  metrics:
  - prometheus
enableAutoMtls: true
enablePrometheusMerge: true
outboundTrafficPolicy:
  mode: ALLOW_ANY
rootNamespace: istio-system
trustDomain: ${TRUST_DOMAIN}
`;

/**
 * The injector config. The `sidecar` template is abridged from the Istio 1.23 chart, whose full
 * template is several hundred lines long. The `spire` template patches initContainers, the form that
 * works once ENABLE_NATIVE_SIDECARS is on.
 */
export const INJECTOR_CONFIG = `defaultTemplates: [sidecar]
policy: enabled
alwaysInjectSelector:
  []
neverInjectSelector:
  []
injectedAnnotations:
template: "{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}"
templates:
  sidecar: |
    {{- $nativeSidecar := (eq (env "ENABLE_NATIVE_SIDECARS" "false") "true") }}
    {{- $containers := list }}
    {{- range $index, $container := .Spec.Containers }}{{ if not (eq $container.Name "istio-proxy") }}{{ $containers = append $containers $container.Name }}{{end}}{{- end}}
    metadata:
      labels:
        security.istio.io/tlsMode: {{ index .ObjectMeta.Labels \`security.istio.io/tlsMode\` | default "istio"  | quote }}
        service.istio.io/canonical-name: {{ index .ObjectMeta.Labels \`service.istio.io/canonical-name\` | default (index .ObjectMeta.Labels \`app.kubernetes.io/name\`) | default (index .ObjectMeta.Labels \`app\`) | default .DeploymentMeta.Name  | quote }}
        service.istio.io/canonical-revision: {{ index .ObjectMeta.Labels \`service.istio.io/canonical-revision\` | default (index .ObjectMeta.Labels \`app.kubernetes.io/version\`) | default (index .ObjectMeta.Labels \`version\`) | default "latest"  | quote }}
      annotations: {
        istio.io/rev: {{ .Revision | default "default" | quote }},
        {{- if ge (len $containers) 1 }}
        kubectl.kubernetes.io/default-logs-container: "{{ index $containers 0 }}",
        kubectl.kubernetes.io/default-container: "{{ index $containers 0 }}",
        {{- end }}
      }
    spec:
      initContainers:
      {{ if ne (annotation .ObjectMeta \`sidecar.istio.io/interceptionMode\` .ProxyConfig.InterceptionMode) \`NONE\` }}
      - name: istio-init
        image: "{{ .ProxyImage }}"
        args:
        - istio-iptables
        - "-p"
        - {{ .MeshConfig.ProxyListenPort | default "15001" | quote }}
        - "-z"
        - {{ .MeshConfig.ProxyInboundListenPort | default "15006" | quote }}
        - "-u"
        - {{ .ProxyUID | default "1337" | quote }}
        - "-m"
        - "{{ annotation .ObjectMeta \`sidecar.istio.io/interceptionMode\` .ProxyConfig.InterceptionMode }}"
        - "-i"
        - "{{ annotation .ObjectMeta \`traffic.sidecar.istio.io/includeOutboundIPRanges\` .Values.global.proxy.includeIPRanges }}"
        - "-x"
        - "{{ annotation .ObjectMeta \`traffic.sidecar.istio.io/excludeOutboundIPRanges\` .Values.global.proxy.excludeIPRanges }}"
        - "-b"
        - "{{ annotation .ObjectMeta \`traffic.sidecar.istio.io/includeInboundPorts\` \`*\` }}"
        - "-d"
        - "15090,15021,{{ excludeInboundPort (annotation .ObjectMeta \`status.sidecar.istio.io/port\` .Values.global.proxy.statusPort) (annotation .ObjectMeta \`traffic.sidecar.istio.io/excludeInboundPorts\` .Values.global.proxy.excludeInboundPorts) }}"
        - "--log_output_level={{ annotation .ObjectMeta \`sidecar.istio.io/agentLogLevel\` .Values.global.logging.level }}"
        imagePullPolicy: "{{ valueOrDefault .Values.global.imagePullPolicy \`Always\` }}"
        securityContext:
          allowPrivilegeEscalation: false
          privileged: false
          capabilities:
            add:
            - NET_ADMIN
            - NET_RAW
            drop:
            - ALL
          readOnlyRootFilesystem: false
          runAsGroup: 0
          runAsNonRoot: false
          runAsUser: 0
      {{ end -}}
      {{ if not $nativeSidecar }}
      containers:
      {{ end }}
      - name: istio-proxy
        image: "{{ .ProxyImage }}"
        {{ if $nativeSidecar }}restartPolicy: Always{{end}}
        ports:
        - containerPort: 15090
          protocol: TCP
          name: http-envoy-prom
        args:
        - proxy
        - sidecar
        - --domain
        - $(POD_NAMESPACE).svc.{{ .Values.global.proxy.clusterDomain }}
        - --proxyLogLevel={{ annotation .ObjectMeta \`sidecar.istio.io/logLevel\` .Values.global.proxy.logLevel }}
        - --proxyComponentLogLevel={{ annotation .ObjectMeta \`sidecar.istio.io/componentLogLevel\` .Values.global.proxy.componentLogLevel }}
        - --log_output_level={{ annotation .ObjectMeta \`sidecar.istio.io/agentLogLevel\` .Values.global.logging.level }}
        env:
        - name: PILOT_CERT_PROVIDER
          value: {{ .Values.global.pilotCertProvider }}
        - name: CA_ADDR
          value: istiod{{- if not (eq .Values.revision "") }}-{{ .Values.revision }}{{- end }}.{{ .Values.global.istioNamespace }}.svc:15012
        - name: TRUST_DOMAIN
          value: "{{ .MeshConfig.TrustDomain | default "cluster.local" }}"
        readinessProbe:
          httpGet:
            path: /healthz/ready
            port: 15021
          initialDelaySeconds: {{.Values.global.proxy.readinessInitialDelaySeconds }}
          periodSeconds: {{ .Values.global.proxy.readinessPeriodSeconds }}
          timeoutSeconds: 3
          failureThreshold: {{ .Values.global.proxy.readinessFailureThreshold }}
        {{ if .Values.global.proxy.startupProbe.enabled }}
        startupProbe:
          httpGet:
            path: /healthz/ready
            port: 15021
          initialDelaySeconds: 0
          periodSeconds: 1
          timeoutSeconds: 3
          failureThreshold: {{ .Values.global.proxy.startupProbe.failureThreshold }}
        {{ end }}
        volumeMounts:
        - name: workload-socket
          mountPath: /var/run/secrets/workload-spiffe-uds
        - name: credential-socket
          mountPath: /var/run/secrets/credential-uds
        - name: workload-certs
          mountPath: /var/run/secrets/workload-spiffe-credentials
        - mountPath: /var/run/secrets/istio
          name: istiod-ca-cert
        - mountPath: /var/lib/istio/data
          name: istio-data
        - mountPath: /etc/istio/proxy
          name: istio-envoy
        - mountPath: /var/run/secrets/tokens
          name: istio-token
        - name: istio-podinfo
          mountPath: /etc/istio/pod
      volumes:
      - emptyDir:
        name: workload-socket
      - emptyDir:
        name: credential-socket
      - emptyDir:
        name: workload-certs
      - emptyDir:
          medium: Memory
        name: istio-envoy
      - name: istio-data
        emptyDir: {}
      - name: istio-podinfo
        downwardAPI:
          items:
            - path: "labels"
              fieldRef:
                fieldPath: metadata.labels
            - path: "annotations"
              fieldRef:
                fieldPath: metadata.annotations
      - name: istio-token
        projected:
          sources:
          - serviceAccountToken:
              path: istio-token
              expirationSeconds: 43200
              audience: {{ .Values.global.sds.token.aud }}
      - name: istiod-ca-cert
        configMap:
          name: istio-ca-root-cert
  spire: |
    spec:
      initContainers:
      - name: istio-proxy
        volumeMounts:
        - name: workload-socket
          mountPath: /run/secrets/workload-spiffe-uds
          readOnly: true
      volumes:
      - name: workload-socket
        csi:
          driver: "csi.spiffe.io"
          readOnly: true
`;

export const INJECTOR_VALUES = {
  global: {
    caAddress: "",
    hub: "docker.io/istio",
    imagePullPolicy: "",
    istioNamespace: "istio-system",
    jwtPolicy: "third-party-jwt",
    logging: { level: "default:info" },
    meshID: "",
    multiCluster: { clusterName: "" },
    network: "",
    pilotCertProvider: "istiod",
    proxy: {
      clusterDomain: "cluster.local",
      componentLogLevel: "misc:error",
      excludeIPRanges: "",
      excludeInboundPorts: "",
      excludeOutboundPorts: "",
      holdApplicationUntilProxyStarts: false,
      image: "proxyv2",
      includeIPRanges: "*",
      logLevel: "warning",
      privileged: false,
      readinessFailureThreshold: 4,
      readinessInitialDelaySeconds: 0,
      readinessPeriodSeconds: 15,
      resources: { limits: { cpu: "2000m", memory: "1024Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
      startupProbe: { enabled: true, failureThreshold: 600 },
      statusPort: 15020,
      tracer: "none",
    },
    proxy_init: { image: "proxyv2" },
    sds: { token: { aud: "istio-ca" } },
    tag: ISTIO_TAG,
  },
  pilot: { env: { ENABLE_NATIVE_SIDECARS: "true" } },
  revision: "",
  sidecarInjectorWebhook: { defaultTemplates: [], rewriteAppHTTPProbe: true },
};

export const ISTIO_CHART_LABELS: Labels = {
  "app.kubernetes.io/instance": "istiod",
  "app.kubernetes.io/managed-by": "Helm",
  "app.kubernetes.io/name": "istiod",
  "app.kubernetes.io/part-of": "istio",
  "app.kubernetes.io/version": ISTIO_TAG,
  "helm.sh/chart": `istiod-${ISTIO_TAG}`,
  "install.operator.istio.io/owning-resource": "unknown",
  "istio.io/rev": "default",
  "operator.istio.io/component": "Pilot",
  release: "istiod",
};

export function istiodTemplate(nativeSidecars: boolean): TemplateInput {
  const discoveryEnv: Doc[] = [
    env("REVISION", "default"),
    env("PILOT_CERT_PROVIDER", "istiod"),
    fieldEnv("POD_NAME", "metadata.name"),
    fieldEnv("POD_NAMESPACE", "metadata.namespace"),
    fieldEnv("SERVICE_ACCOUNT", "spec.serviceAccountName"),
    env("KUBECONFIG", "/var/run/secrets/remote/config"),
    env("CA_TRUSTED_NODE_ACCOUNTS", "istio-system/ztunnel,kube-system/ztunnel"),
    env("PILOT_TRACE_SAMPLING", "1"),
    env("PILOT_ENABLE_ANALYSIS", "false"),
    env("CLUSTER_ID", "Kubernetes"),
    resourceEnv("GOMEMLIMIT", "limits.memory"),
    resourceEnv("GOMAXPROCS", "limits.cpu"),
    env("PLATFORM", ""),
  ];
  if (nativeSidecars) discoveryEnv.push(env("ENABLE_NATIVE_SIDECARS", "true"));
  return {
    labels: {
      app: "istiod",
      "app.kubernetes.io/instance": "istiod",
      "app.kubernetes.io/managed-by": "Helm",
      "app.kubernetes.io/name": "istiod",
      "app.kubernetes.io/part-of": "istio",
      "app.kubernetes.io/version": ISTIO_TAG,
      "helm.sh/chart": `istiod-${ISTIO_TAG}`,
      "install.operator.istio.io/owning-resource": "unknown",
      istio: "pilot",
      "istio.io/dataplane-mode": "none",
      "istio.io/rev": "default",
      "operator.istio.io/component": "Pilot",
      "sidecar.istio.io/inject": "false",
    },
    annotations: { "prometheus.io/port": "15014", "prometheus.io/scrape": "true", "sidecar.istio.io/inject": "false" },
    spec: {
      serviceAccountName: "istiod",
      securityContext: { fsGroup: 1337 },
      containers: [
        container({
          name: "discovery",
          image: `docker.io/istio/pilot:${ISTIO_TAG}`,
          args: [
            "discovery",
            "--monitoringAddr=:15014",
            "--log_output_level=default:info",
            "--domain",
            "cluster.local",
            "--keepaliveMaxServerConnectionAge",
            "30m",
          ],
          env: discoveryEnv,
          ports: [
            { name: "http-debug", containerPort: 8080 },
            { name: "grpc-xds", containerPort: 15010 },
            { name: "tls-xds", containerPort: 15012 },
            { name: "https-webhooks", containerPort: 15017 },
            { name: "http-monitoring", containerPort: 15014 },
          ],
          readinessProbe: httpGetProbe("/ready", 8080, { initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 5 }),
          resources: { requests: { cpu: "500m", memory: "2Gi" } },
          securityContext: { ...restrictedSecurityContext, capabilities: { drop: ["ALL"] } },
          volumeMounts: [
            { mountPath: "/var/run/secrets/tokens", name: "istio-token", readOnly: true },
            { mountPath: "/var/run/secrets/istio-dns", name: "local-certs" },
            { mountPath: "/etc/cacerts", name: "cacerts", readOnly: true },
            { mountPath: "/var/run/secrets/remote", name: "istio-kubeconfig", readOnly: true },
            { mountPath: "/var/run/secrets/istiod/tls", name: "istio-csr-dns-cert", readOnly: true },
            { mountPath: "/var/run/secrets/istiod/ca", name: "istio-csr-ca-configmap", readOnly: true },
          ],
        }),
      ],
      volumes: [
        { emptyDir: { medium: "Memory" }, name: "local-certs" },
        {
          name: "istio-token",
          projected: {
            defaultMode: 420,
            sources: [{ serviceAccountToken: { audience: "istio-ca", expirationSeconds: 43200, path: "istio-token" } }],
          },
        },
        { name: "cacerts", secret: { defaultMode: 420, optional: true, secretName: "cacerts" } },
        { name: "istio-kubeconfig", secret: { defaultMode: 420, optional: true, secretName: "istio-kubeconfig" } },
        { name: "istio-csr-dns-cert", secret: { defaultMode: 420, optional: true, secretName: "istiod-tls" } },
        {
          configMap: { defaultMode: 420, name: "istio-ca-root-cert", optional: true },
          name: "istio-csr-ca-configmap",
        },
      ],
    },
  };
}

export function injectorWebhook(name: string, namespaceSelector: Doc, objectSelector: Doc): Doc {
  return {
    admissionReviewVersions: ["v1"],
    clientConfig: {
      caBundle: Buffer.from(ISTIOD_ROOT_PEM).toString("base64"),
      service: { name: "istiod", namespace: "istio-system", path: "/inject", port: 443 },
    },
    failurePolicy: "Fail",
    matchPolicy: "Equivalent",
    name,
    namespaceSelector,
    objectSelector,
    reinvocationPolicy: "Never",
    rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "*" }],
    sideEffects: "None",
    timeoutSeconds: 10,
  };
}

export function istioSystem(): Doc[] {
  const ns = "istio-system";
  const created = "2026-06-28T18:00:37Z";
  const nativeFlip = "2026-06-28T19:24:05Z";
  const notFalse = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };
  return [
    serviceAccount(ns, "default", "2026-06-28T18:00:21Z"),
    serviceAccount(ns, "istiod", "2026-06-28T18:00:36Z", ISTIO_CHART_LABELS),
    configMap(
      ns,
      "istio",
      "2026-06-28T18:00:36Z",
      { mesh: MESH_CONFIG, meshNetworks: "networks: {}" },
      ISTIO_CHART_LABELS,
      {
        "meta.helm.sh/release-name": "istiod",
        "meta.helm.sh/release-namespace": "istio-system",
      },
    ),
    istioCaRootCert(ns),
    configMap(
      ns,
      "istio-sidecar-injector",
      "2026-06-28T18:00:36Z",
      { config: INJECTOR_CONFIG, values: JSON.stringify(INJECTOR_VALUES, null, 2) },
      ISTIO_CHART_LABELS,
      { "meta.helm.sh/release-name": "istiod", "meta.helm.sh/release-namespace": "istio-system" },
    ),
    service({
      namespace: ns,
      name: "istiod",
      created,
      labels: { ...ISTIO_CHART_LABELS, app: "istiod", istio: "pilot" },
      selector: { app: "istiod", istio: "pilot" },
      ports: [
        { name: "grpc-xds", port: 15010 },
        { name: "https-dns", port: 15012 },
        { name: "https-webhook", port: 443, targetPort: 15017 },
        { name: "http-monitoring", port: 15014 },
      ],
    }),
    ...deployment({
      namespace: ns,
      name: "istiod",
      created,
      generation: 2,
      labels: { ...ISTIO_CHART_LABELS, app: "istiod", istio: "pilot" },
      annotations: { "meta.helm.sh/release-name": "istiod", "meta.helm.sh/release-namespace": "istio-system" },
      selector: { istio: "pilot" },
      template: istiodTemplate(true),
      previousReplicaSets: [{ hash: "5d9c8b7f46", created, template: istiodTemplate(false) }],
      replicaSetHash: "7b94d8c6f5",
      replicaSetCreated: nativeFlip,
      pods: [{ node: 0, created: addSeconds(nativeFlip, 1) }],
    }),
    object(
      "admissionregistration.k8s.io/v1",
      "MutatingWebhookConfiguration",
      {
        name: "istio-sidecar-injector",
        created: "2026-06-28T18:00:38Z",
        generation: 3,
        labels: { ...ISTIO_CHART_LABELS, app: "sidecar-injector" },
        annotations: { "meta.helm.sh/release-name": "istiod", "meta.helm.sh/release-namespace": "istio-system" },
      },
      {
        webhooks: [
          injectorWebhook(
            "rev.namespace.sidecar-injector.istio.io",
            {
              matchExpressions: [
                { key: "istio.io/rev", operator: "In", values: ["default"] },
                { key: "istio-injection", operator: "DoesNotExist" },
              ],
            },
            { matchExpressions: [notFalse] },
          ),
          injectorWebhook(
            "rev.object.sidecar-injector.istio.io",
            {
              matchExpressions: [
                { key: "istio.io/rev", operator: "DoesNotExist" },
                { key: "istio-injection", operator: "DoesNotExist" },
              ],
            },
            {
              matchExpressions: [notFalse, { key: "istio.io/rev", operator: "In", values: ["default"] }],
            },
          ),
          injectorWebhook(
            "namespace.sidecar-injector.istio.io",
            { matchExpressions: [{ key: "istio-injection", operator: "In", values: ["enabled"] }] },
            { matchExpressions: [notFalse] },
          ),
          injectorWebhook(
            "object.sidecar-injector.istio.io",
            {
              matchExpressions: [
                { key: "istio-injection", operator: "DoesNotExist" },
                { key: "istio.io/rev", operator: "DoesNotExist" },
              ],
            },
            {
              matchExpressions: [
                { key: "sidecar.istio.io/inject", operator: "In", values: ["true"] },
                { key: "istio.io/rev", operator: "DoesNotExist" },
              ],
            },
          ),
        ],
      },
    ),
  ];
}
