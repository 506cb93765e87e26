/** Namespace sre: the meshed apps, the workers and the mesh policy objects. */

import type { Doc } from "./common.js";
import { addSeconds, DB_HOST, sha256, WINDOW_START } from "./common.js";
import { datastore, postgres, temporal } from "./datastores.js";
import type { MeshMode } from "./injection.js";
import {
  configMap,
  container,
  env,
  execProbe,
  httpGetProbe,
  ingress,
  istioCaRootCert,
  object,
  requests,
  restrictedSecurityContext,
  secretEnv,
  service,
  serviceAccount,
  tcpProbe,
} from "./objects.js";
import type { ContainerRun } from "./pods.js";
import { deployment } from "./workloads.js";

// ---------------------------------------------------------------------------------------------
// sre: the meshed apps, the workers and the datastores

export const DATABASE_URL = `postgresql://mdm_app:S3cr3t-Passw0rd@${DB_HOST}:25060/mdm?sslmode=require`;

export const MDM_KERNEL_APPLICATION_YAML = `server:
  port: 8080
  shutdown: graceful
management:
  endpoint:
    health:
      probes:
        enabled: true
      group:
        readiness:
          include: readinessState,db,redis,neo4j
  endpoints:
    web:
      exposure:
        include: health,prometheus
spring:
  datasource:
    url: jdbc:postgresql://${DB_HOST}:25060/mdm?sslmode=require
    hikari:
      maximum-pool-size: 10
  kafka:
    bootstrap-servers: redpanda.sre.svc.cluster.local:9092
  data:
    redis:
      host: redis.sre.svc.cluster.local
      port: 6379
  neo4j:
    uri: bolt://neo4j.sre.svc.cluster.local:7687
mdm:
  projections:
    topic: mdm.events.v1
`;

export interface MeshedApp {
  name: string;
  image: string;
  containerPort: number;
  servicePort: number;
  readinessPath: string;
  livenessPath?: string;
  env?: Doc[];
  args?: string[];
  volumeMounts?: Doc[];
  volumes?: Doc[];
  deploymentCreated: string;
  generation: number;
  podCreated: string;
  node: number;
  mode: MeshMode;
}

export const MESHED_APPS: MeshedApp[] = [
  {
    name: "hello-world",
    image: "docker.io/nginxinc/nginx-unprivileged:1.27-alpine",
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/",
    deploymentCreated: "2026-05-20T11:02:44Z",
    generation: 3,
    podCreated: "2026-06-28T18:06:52Z",
    node: 2,
    mode: "classic",
  },
  {
    name: "cmp-docs",
    image: "registry.example.com/lynkedup/cmp-docs:1.4.2",
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/healthz",
    deploymentCreated: "2026-04-16T08:40:19Z",
    generation: 9,
    podCreated: "2026-06-28T18:19:14Z",
    node: 3,
    mode: "classic",
  },
  {
    name: "roof",
    image: "registry.example.com/lynkedup/roof:1.0.5",
    containerPort: 3000,
    servicePort: 80,
    readinessPath: "/api/health",
    deploymentCreated: "2026-05-06T13:27:51Z",
    generation: 6,
    podCreated: "2026-06-28T18:24:37Z",
    node: 4,
    mode: "classic",
  },
  {
    name: "opa",
    image: "docker.io/openpolicyagent/opa:0.68.0-static",
    containerPort: 8181,
    servicePort: 8181,
    readinessPath: "/health?bundles",
    livenessPath: "/health",
    args: ["run", "--server", "--addr=0.0.0.0:8181", "--log-format=json", "--config-file=/config/opa.yaml"],
    volumeMounts: [{ mountPath: "/config", name: "config", readOnly: true }],
    volumes: [{ configMap: { defaultMode: 420, name: "opa-config" }, name: "config" }],
    deploymentCreated: "2026-04-02T10:05:33Z",
    generation: 11,
    podCreated: "2026-06-28T18:29:05Z",
    node: 5,
    mode: "classic",
  },
  {
    name: "realmdm-opa",
    image: "docker.io/openpolicyagent/opa:0.68.0-static",
    containerPort: 8181,
    servicePort: 8181,
    readinessPath: "/health?bundles",
    livenessPath: "/health",
    args: ["run", "--server", "--addr=0.0.0.0:8181", "--log-format=json", "--config-file=/config/opa.yaml"],
    volumeMounts: [{ mountPath: "/config", name: "config", readOnly: true }],
    volumes: [{ configMap: { defaultMode: 420, name: "realmdm-opa-config" }, name: "config" }],
    deploymentCreated: "2026-04-09T15:51:02Z",
    generation: 8,
    podCreated: "2026-06-28T18:33:41Z",
    node: 0,
    mode: "classic",
  },
  {
    name: "mdm-sas",
    image: "registry.example.com/lynkedup/mdm-sas:1.3.1",
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/healthz",
    env: [env("VAULT_ADDR", "http://vault.vault.svc.cluster.local:8200"), env("VAULT_TRANSIT_KEY", "mdm-sas")],
    deploymentCreated: "2026-04-21T09:14:26Z",
    generation: 7,
    podCreated: "2026-06-28T18:41:20Z",
    node: 1,
    mode: "classic",
  },
  {
    name: "mdm-ai",
    image: "registry.example.com/lynkedup/mdm-ai:0.9.7",
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/health",
    env: [
      env("DATABASE_URL", DATABASE_URL),
      secretEnv("DB_PASSWORD", "mdm-db-credentials", "password"),
      env("MDM_KERNEL_URL", "http://mdm-kernel.sre.svc.cluster.local"),
      env("OPA_URL", "http://opa.sre.svc.cluster.local:8181"),
    ],
    deploymentCreated: "2026-05-12T16:33:08Z",
    generation: 12,
    podCreated: "2026-06-28T18:47:58Z",
    node: 2,
    mode: "classic",
  },
  {
    name: "mdm-kernel",
    image: "registry.example.com/lynkedup/mdm-kernel:3.12.0",
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/actuator/health/readiness",
    livenessPath: "/actuator/health/liveness",
    env: [
      env("DATABASE_URL", DATABASE_URL),
      env("SPRING_CONFIG_ADDITIONAL_LOCATION", "optional:file:/config/"),
      env("JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75"),
    ],
    volumeMounts: [{ mountPath: "/config", name: "config", readOnly: true }],
    volumes: [{ configMap: { defaultMode: 420, name: "mdm-kernel-config" }, name: "config" }],
    deploymentCreated: "2026-03-18T12:20:45Z",
    generation: 23,
    podCreated: "2026-06-28T19:36:12Z",
    node: 3,
    mode: "native",
  },
  {
    name: "opal-server",
    image: "docker.io/permitio/opal-server:0.7.16",
    containerPort: 7002,
    servicePort: 7002,
    readinessPath: "/healthcheck",
    env: [
      env("OPAL_BROADCAST_URI", "postgres://opal@postgres-opal.sre.svc.cluster.local:5432/opal"),
      secretEnv("PGPASSWORD", "postgres-opal", "password"),
      env("OPAL_POLICY_REPO_URL", "https://git.example.com/lynkedup/policies.git"),
      env("UVICORN_NUM_WORKERS", "2"),
    ],
    deploymentCreated: "2026-04-02T10:06:12Z",
    generation: 10,
    podCreated: "2026-06-28T19:41:45Z",
    node: 4,
    mode: "native",
  },
  {
    name: "poi-api",
    image: "registry.example.com/lynkedup/poi-api:2.1.0",
    containerPort: 8080,
    servicePort: 80,
    readinessPath: "/ready",
    env: [env("REDIS_URL", "redis://redis.sre.svc.cluster.local:6379/2")],
    deploymentCreated: "2026-05-27T07:58:39Z",
    generation: 5,
    podCreated: "2026-06-28T19:46:03Z",
    node: 5,
    mode: "native",
  },
];

export function meshedApp(app: MeshedApp): Doc[] {
  if (app.podCreated <= WINDOW_START)
    throw new Error(`${app.name}: podCreated ${app.podCreated} must be after T0 (${WINDOW_START})`);
  const ns = "sre";
  const restartedAt = addSeconds(app.podCreated, -2);
  const labels = { app: app.name };
  const docs = deployment({
    namespace: ns,
    name: app.name,
    created: app.deploymentCreated,
    generation: app.generation,
    labels,
    selector: labels,
    template: {
      labels,
      annotations: { "inject.istio.io/templates": "sidecar,spire", "kubectl.kubernetes.io/restartedAt": restartedAt },
      spec: {
        serviceAccountName: "default",
        containers: [
          container({
            name: app.name,
            image: app.image,
            args: app.args,
            env: app.env,
            ports: [{ name: "http", containerPort: app.containerPort }],
            readinessProbe: httpGetProbe(app.readinessPath, app.containerPort, {
              initialDelaySeconds: 5,
              periodSeconds: 10,
            }),
            livenessProbe: app.livenessPath
              ? httpGetProbe(app.livenessPath, app.containerPort, { initialDelaySeconds: 30, periodSeconds: 20 })
              : undefined,
            resources: requests("100m", "256Mi", "1Gi"),
            securityContext: restrictedSecurityContext,
            volumeMounts: app.volumeMounts,
          }),
        ],
        volumes: app.volumes,
      },
    },
    replicaSetCreated: addSeconds(app.podCreated, -1),
    pods: [{ node: app.node, created: app.podCreated, runs: { "istio-proxy": { startedAfter: 3 } } }],
    mesh: app.mode,
  });
  const svc = service({
    namespace: ns,
    name: app.name,
    created: app.deploymentCreated,
    labels,
    selector: labels,
    ports: [{ name: "http", port: app.servicePort, targetPort: app.containerPort }],
  });
  return [svc, ...docs];
}

export interface WorkerInput {
  name: string;
  image: string;
  replicaSetHash?: string;
  podName?: string;
  created: string;
  node: number;
  env: Doc[];
  runs?: Record<string, ContainerRun>;
}

export function worker(input: WorkerInput): Doc[] {
  const labels = { app: input.name, "app.kubernetes.io/component": "worker" };
  return deployment({
    namespace: "sre",
    name: input.name,
    created: "2026-04-28T10:12:40Z",
    generation: 4,
    labels,
    selector: { app: input.name },
    template: {
      labels: { ...labels, "sidecar.istio.io/inject": "false" },
      spec: {
        serviceAccountName: "default",
        containers: [
          container({
            name: input.name,
            image: input.image,
            env: input.env,
            resources: requests("100m", "384Mi", "768Mi"),
            securityContext: restrictedSecurityContext,
          }),
        ],
      },
    },
    replicaSetHash: input.replicaSetHash,
    replicaSetCreated: addSeconds(input.created, -1),
    pods: [{ node: input.node, created: input.created, name: input.podName, runs: input.runs }],
  });
}

export function sre(): Doc[] {
  const ns = "sre";
  const docs: Doc[] = [
    serviceAccount(ns, "default", "2026-03-02T10:31:07Z"),
    istioCaRootCert(ns),
    configMap(
      ns,
      "mdm-kernel-config",
      "2026-03-18T12:20:45Z",
      { "application.yaml": MDM_KERNEL_APPLICATION_YAML },
      {
        app: "mdm-kernel",
      },
    ),
    configMap(
      ns,
      "opa-config",
      "2026-04-02T10:05:33Z",
      {
        "opa.yaml":
          "services:\n  opal:\n    url: http://opal-server.sre.svc.cluster.local:7002\nbundles:\n  authz:\n    service: opal\n    resource: bundles/authz.tar.gz\n    polling:\n      min_delay_seconds: 30\n      max_delay_seconds: 60\ndecision_logs:\n  console: true\n",
      },
      { app: "opa" },
    ),
    configMap(
      ns,
      "realmdm-opa-config",
      "2026-04-09T15:51:02Z",
      {
        "opa.yaml":
          "services:\n  opal:\n    url: http://opal-server.sre.svc.cluster.local:7002\nbundles:\n  realmdm:\n    service: opal\n    resource: bundles/realmdm.tar.gz\ndecision_logs:\n  console: true\n",
      },
      { app: "realmdm-opa" },
    ),
    // The one Secret in the example, kept so the reader's "Secrets are dropped and counted" path runs.
    object(
      "v1",
      "Secret",
      {
        name: "mdm-db-credentials",
        namespace: ns,
        created: "2026-05-12T16:30:41Z",
        labels: {
          "reconcile.external-secrets.io/created-by": sha256("es:sre/mdm-db-credentials").slice(0, 32),
          "reconcile.external-secrets.io/managed": "true",
        },
        annotations: { "reconcile.external-secrets.io/data-hash": sha256("data:mdm-db-credentials").slice(0, 32) },
        owner: {
          apiVersion: "external-secrets.io/v1beta1",
          kind: "ExternalSecret",
          name: "mdm-db-credentials",
          namespace: ns,
        },
      },
      {
        data: {
          password: Buffer.from("S3cr3t-Passw0rd").toString("base64"),
          username: Buffer.from("mdm_app").toString("base64"),
        },
        immutable: false,
        type: "Opaque",
      },
    ),
    object(
      "external-secrets.io/v1beta1",
      "ExternalSecret",
      { name: "mdm-db-credentials", namespace: ns, created: "2026-05-12T16:30:40Z", generation: 1 },
      {
        spec: {
          data: [
            {
              remoteRef: {
                conversionStrategy: "Default",
                decodingStrategy: "None",
                key: "mdm/db",
                metadataPolicy: "None",
                property: "username",
              },
              secretKey: "username",
            },
            {
              remoteRef: {
                conversionStrategy: "Default",
                decodingStrategy: "None",
                key: "mdm/db",
                metadataPolicy: "None",
                property: "password",
              },
              secretKey: "password",
            },
          ],
          refreshInterval: "1h",
          secretStoreRef: { kind: "ClusterSecretStore", name: "vault-backend" },
          target: { creationPolicy: "Owner", deletionPolicy: "Retain", name: "mdm-db-credentials" },
        },
        status: {
          binding: { name: "mdm-db-credentials" },
          conditions: [
            {
              lastTransitionTime: "2026-05-12T16:30:41Z",
              message: "Secret was synced",
              reason: "SecretSynced",
              status: "True",
              type: "Ready",
            },
          ],
          refreshTime: "2026-06-28T21:12:06Z",
          syncedResourceVersion: `1-${sha256("sync:mdm-db-credentials").slice(0, 32)}`,
        },
      },
    ),
  ];

  for (const app of MESHED_APPS) docs.push(...meshedApp(app));

  docs.push(
    ...worker({
      name: "mdm-projection-worker",
      image: "registry.example.com/lynkedup/mdm-projection-worker:3.12.0",
      replicaSetHash: "f897d6bc5",
      podName: "mdm-projection-worker-f897d6bc5-zxjsp",
      created: "2026-06-14T09:12:00Z",
      node: 4,
      env: [
        env("KAFKA_BOOTSTRAP_SERVERS", "redpanda.sre.svc.cluster.local:9092"),
        env("NEO4J_URI", "bolt://neo4j.sre.svc.cluster.local:7687"),
        env("PROJECTION_TOPIC", "mdm.events.v1"),
      ],
      runs: {
        "mdm-projection-worker": {
          restartCount: 29,
          startedAt: "2026-06-28T21:38:40Z",
          lastState: {
            terminated: {
              containerID: `containerd://${sha256("container:mdm-projection-worker-f897d6bc5-zxjsp/previous")}`,
              exitCode: 1,
              finishedAt: "2026-06-28T21:38:35Z",
              reason: "Error",
              startedAt: "2026-06-28T21:33:19Z",
            },
          },
        },
      },
    }),
    ...worker({
      name: "mdm-outbox-worker",
      image: "registry.example.com/lynkedup/mdm-outbox-worker:3.12.0",
      created: "2026-06-14T09:12:03Z",
      node: 5,
      env: [
        env("KAFKA_BOOTSTRAP_SERVERS", "redpanda.sre.svc.cluster.local:9092"),
        env("OUTBOX_POLL_INTERVAL", "2s"),
        env("DB_HOST", "postgres-mdm.sre.svc.cluster.local"),
        env("DB_PORT", "5432"),
      ],
    }),
  );

  docs.push(
    ...datastore({
      name: "neo4j",
      appName: "neo4j",
      image: "docker.io/neo4j:5.23.0-enterprise",
      created: "2026-03-20T09:44:03Z",
      podCreated: "2026-06-07T02:14:51Z",
      node: 0,
      ports: [
        { name: "tcp-http", containerPort: 7474 },
        { name: "tcp-bolt", containerPort: 7687 },
      ],
      servicePorts: [
        { name: "tcp-http", port: 7474, targetPort: 7474 },
        { name: "tcp-bolt", port: 7687, targetPort: 7687 },
      ],
      readinessProbe: tcpProbe(7687, { initialDelaySeconds: 30, periodSeconds: 5 }),
      env: [env("NEO4J_ACCEPT_LICENSE_AGREEMENT", "yes"), env("NEO4J_server_memory_heap_max__size", "1G")],
      storage: "50Gi",
    }),
    ...datastore({
      name: "redpanda",
      appName: "redpanda",
      image: "docker.redpanda.com/redpandadata/redpanda:v24.2.4",
      created: "2026-03-20T09:46:29Z",
      podCreated: "2026-06-07T02:19:37Z",
      node: 1,
      args: [
        "redpanda",
        "start",
        "--smp=1",
        "--memory=1G",
        "--kafka-addr=internal://0.0.0.0:9092",
        "--advertise-kafka-addr=internal://redpanda-0.redpanda-headless.sre.svc.cluster.local:9092",
      ],
      ports: [
        { name: "tcp-kafka", containerPort: 9092 },
        { name: "admin", containerPort: 9644 },
      ],
      servicePorts: [
        { name: "tcp-kafka", port: 9092, targetPort: 9092 },
        { name: "admin", port: 9644, targetPort: 9644 },
      ],
      readinessProbe: httpGetProbe("/v1/status/ready", 9644, { initialDelaySeconds: 1, periodSeconds: 10 }),
      storage: "20Gi",
    }),
    ...datastore({
      name: "redis",
      appName: "redis",
      image: "docker.io/bitnami/redis:7.4.0-debian-12-r2",
      created: "2026-03-20T09:42:08Z",
      podCreated: "2026-06-07T02:22:10Z",
      node: 2,
      ports: [{ name: "tcp-redis", containerPort: 6379 }],
      servicePorts: [{ name: "tcp-redis", port: 6379, targetPort: "tcp-redis" }],
      readinessProbe: execProbe(["sh", "-c", "/health/ping_readiness_local.sh 1"], {
        initialDelaySeconds: 20,
        periodSeconds: 5,
      }),
      storage: "8Gi",
      extraLabels: { "app.kubernetes.io/component": "master" },
    }),
    ...postgres("postgres-mdm", "mdm", 3, "2026-06-07T02:25:44Z"),
    ...postgres("postgres-opal", "opal", 4, "2026-06-07T02:27:02Z"),
    ...postgres("postgres-temporal", "temporal", 5, "2026-06-07T02:28:31Z"),
    ...temporal(),
  );

  docs.push(
    object(
      "networking.istio.io/v1",
      "ServiceEntry",
      { name: "managed-postgres", namespace: ns, created: "2026-06-28T18:03:27Z", generation: 1 },
      {
        spec: {
          exportTo: ["."],
          hosts: [DB_HOST],
          location: "MESH_EXTERNAL",
          ports: [{ name: "tcp-postgres", number: 25060, protocol: "TCP" }],
          resolution: "DNS",
        },
      },
    ),
    object(
      "networking.istio.io/v1",
      "DestinationRule",
      { name: "managed-postgres", namespace: ns, created: "2026-06-28T18:03:27Z", generation: 1 },
      { spec: { host: DB_HOST, trafficPolicy: { tls: { mode: "DISABLE" } } } },
    ),
    object(
      "security.istio.io/v1",
      "PeerAuthentication",
      { name: "default", namespace: ns, created: "2026-06-28T18:01:00Z", generation: 1 },
      { spec: { mtls: { mode: "PERMISSIVE" } } },
    ),
    ingress("sre", "mdm-kernel", "kernel.example.com", "mdm-kernel", 80, "2026-03-18T12:20:45Z"),
    ingress("sre", "mdm-ai", "ai.example.com", "mdm-ai", 80, "2026-05-12T16:33:08Z"),
    object(
      "monitoring.coreos.com/v1",
      "ServiceMonitor",
      {
        name: "mdm-kernel",
        namespace: ns,
        created: "2026-03-25T14:08:19Z",
        generation: 1,
        labels: { app: "mdm-kernel", release: "prometheus" },
      },
      {
        spec: {
          endpoints: [{ interval: "30s", path: "/actuator/prometheus", port: "http", scheme: "http" }],
          namespaceSelector: { matchNames: ["sre"] },
          selector: { matchLabels: { app: "mdm-kernel" } },
        },
      },
    ),
  );
  return docs;
}
