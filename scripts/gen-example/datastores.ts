/** The datastores in sre, kept out of the mesh: StatefulSets and Temporal. */

import type { Doc, Labels } from "./common.js";
import { addSeconds, nameSuffix, node, objectUid, sha256 } from "./common.js";
import type { ServicePort } from "./objects.js";
import { container, env, execProbe, fieldEnv, object, requests, secretEnv, service, tcpProbe } from "./objects.js";
import { buildPod } from "./pods.js";
import { deployment, podTemplate, statefulSet } from "./workloads.js";

export interface DatastoreInput {
  name: string;
  appName: string;
  instance?: string;
  image: string;
  created: string;
  podCreated: string;
  node: number;
  ports: Array<{ name: string; containerPort: number }>;
  servicePorts: ServicePort[];
  readinessProbe: Doc;
  env?: Doc[];
  args?: string[];
  storage: string;
  extraLabels?: Labels;
}

export function datastore(input: DatastoreInput): Doc[] {
  const instance = input.instance ?? input.name;
  const selector = { "app.kubernetes.io/instance": instance, "app.kubernetes.io/name": input.appName };
  const labels = { ...selector, "app.kubernetes.io/managed-by": "Helm", ...(input.extraLabels ?? {}) };
  const helm = { "meta.helm.sh/release-name": instance, "meta.helm.sh/release-namespace": "sre" };
  return [
    service({
      namespace: "sre",
      name: input.name,
      created: input.created,
      labels,
      annotations: helm,
      selector,
      ports: input.servicePorts,
    }),
    service({
      namespace: "sre",
      name: `${input.name}-headless`,
      created: input.created,
      labels,
      annotations: helm,
      selector,
      headless: true,
      publishNotReadyAddresses: true,
      ports: input.servicePorts,
    }),
    ...statefulSet({
      namespace: "sre",
      name: input.name,
      created: input.created,
      labels,
      annotations: helm,
      selector,
      serviceName: `${input.name}-headless`,
      template: {
        labels: { ...labels, "sidecar.istio.io/inject": "false" },
        spec: {
          serviceAccountName: "default",
          securityContext: { fsGroup: 1001 },
          containers: [
            container({
              name: input.appName,
              image: input.image,
              args: input.args,
              env: input.env,
              ports: input.ports,
              readinessProbe: input.readinessProbe,
              resources: requests("250m", "512Mi", "2Gi"),
              volumeMounts: [{ mountPath: "/data", name: "data" }],
            }),
          ],
        },
      },
      pods: [{ node: input.node, created: input.podCreated }],
      volumeClaims: [{ name: "data", storage: input.storage }],
    }),
  ];
}

export function postgres(name: string, database: string, node: number, podCreated: string): Doc[] {
  return datastore({
    name,
    appName: "postgresql",
    image: "docker.io/bitnami/postgresql:16.4.0-debian-12-r9",
    created: "2026-03-20T09:41:17Z",
    podCreated,
    node,
    ports: [{ name: "tcp-postgresql", containerPort: 5432 }],
    servicePorts: [{ name: "tcp-postgresql", port: 5432, targetPort: "tcp-postgresql" }],
    readinessProbe: execProbe(["/bin/sh", "-c", "-e", 'exec pg_isready -U "postgres" -h 127.0.0.1 -p 5432'], {
      initialDelaySeconds: 5,
      timeoutSeconds: 5,
      failureThreshold: 6,
    }),
    env: [
      env("POSTGRESQL_PORT_NUMBER", "5432"),
      env("POSTGRES_DATABASE", database),
      secretEnv("POSTGRES_PASSWORD", name, "postgres-password"),
    ],
    storage: "20Gi",
    extraLabels: { "app.kubernetes.io/component": "primary" },
  });
}

export function temporal(): Doc[] {
  const created = "2026-03-20T10:02:55Z";
  const labels = {
    "app.kubernetes.io/instance": "temporal",
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/name": "temporal",
    "app.kubernetes.io/version": "1.24.2",
  };
  const frontendLabels = { ...labels, "app.kubernetes.io/component": "frontend" };
  const jobName = "temporal-schema-setup";
  const jobUid = objectUid("Job", "sre", jobName);
  const jobCreated = "2026-06-09T06:30:04Z";
  const jobPodLabels = {
    ...labels,
    "app.kubernetes.io/component": "database",
    "batch.kubernetes.io/controller-uid": jobUid,
    "batch.kubernetes.io/job-name": jobName,
    "controller-uid": jobUid,
    "job-name": jobName,
    "sidecar.istio.io/inject": "false",
  };
  const schemaContainer = container({
    name: "setup-schema",
    image: "docker.io/temporalio/admin-tools:1.24.2-tctl-1.18.1-cli-0.13.0",
    command: ["temporal-sql-tool", "setup-schema", "-v", "0.0"],
    env: [
      env("SQL_PLUGIN", "postgres12"),
      env("SQL_HOST", "postgres-temporal.sre.svc.cluster.local"),
      env("SQL_PORT", "5432"),
      env("SQL_DATABASE", "temporal"),
      env("SQL_USER", "temporal"),
      secretEnv("SQL_PASSWORD", "postgres-temporal", "password"),
    ],
  });
  const jobTemplate = podTemplate({
    labels: jobPodLabels,
    spec: { containers: [schemaContainer], restartPolicy: "OnFailure", serviceAccountName: "default" },
  });
  const podName = `${jobName}-${nameSuffix(`job:${jobName}`, 5)}`;
  const jobPodStarted = addSeconds(jobCreated, 3);
  const job = object(
    "batch/v1",
    "Job",
    {
      name: jobName,
      namespace: "sre",
      created: jobCreated,
      generation: 1,
      labels: { ...labels, "app.kubernetes.io/component": "database" },
      annotations: { "meta.helm.sh/release-name": "temporal", "meta.helm.sh/release-namespace": "sre" },
    },
    {
      spec: {
        backoffLimit: 100,
        completionMode: "NonIndexed",
        completions: 1,
        manualSelector: false,
        parallelism: 1,
        podReplacementPolicy: "TerminatingOrFailed",
        selector: { matchLabels: { "batch.kubernetes.io/controller-uid": jobUid } },
        suspend: false,
        template: jobTemplate,
      },
      status: {
        completionTime: addSeconds(jobCreated, 19),
        conditions: [
          {
            lastProbeTime: addSeconds(jobCreated, 19),
            lastTransitionTime: addSeconds(jobCreated, 19),
            message: "Reached expected number of succeeded pods",
            reason: "CompletionsReached",
            status: "True",
            type: "SuccessCriteriaMet",
          },
          {
            lastProbeTime: addSeconds(jobCreated, 19),
            lastTransitionTime: addSeconds(jobCreated, 19),
            message: "Reached expected number of succeeded pods",
            reason: "CompletionsReached",
            status: "True",
            type: "Complete",
          },
        ],
        ready: 0,
        startTime: jobCreated,
        succeeded: 1,
        terminating: 0,
        uncountedTerminatedPods: {},
      },
    },
  );
  const jobPod = buildPod({
    name: podName,
    namespace: "sre",
    created: jobCreated,
    nodeName: node(1).name,
    labels: jobPodLabels,
    owner: { apiVersion: "batch/v1", kind: "Job", name: jobName, namespace: "sre" },
    template: jobTemplate,
    phase: "Succeeded",
    runs: {
      "setup-schema": {
        terminated: {
          containerID: `containerd://${sha256(`container:${jobName}/setup-schema`)}`,
          exitCode: 0,
          finishedAt: addSeconds(jobPodStarted, 14),
          reason: "Completed",
          startedAt: jobPodStarted,
        },
      },
    },
  });

  return [
    service({
      namespace: "sre",
      name: "temporal-frontend",
      created,
      labels: frontendLabels,
      selector: {
        "app.kubernetes.io/component": "frontend",
        "app.kubernetes.io/instance": "temporal",
        "app.kubernetes.io/name": "temporal",
      },
      ports: [
        { name: "grpc-rpc", port: 7233, targetPort: "rpc", appProtocol: "tcp" },
        { name: "http", port: 7243, targetPort: "http" },
      ],
    }),
    ...deployment({
      namespace: "sre",
      name: "temporal-frontend",
      created,
      generation: 2,
      labels: frontendLabels,
      annotations: { "meta.helm.sh/release-name": "temporal", "meta.helm.sh/release-namespace": "sre" },
      selector: {
        "app.kubernetes.io/component": "frontend",
        "app.kubernetes.io/instance": "temporal",
        "app.kubernetes.io/name": "temporal",
      },
      template: {
        labels: { ...frontendLabels, "sidecar.istio.io/inject": "false" },
        spec: {
          serviceAccountName: "default",
          containers: [
            container({
              name: "temporal-frontend",
              image: "docker.io/temporalio/server:1.24.2",
              env: [
                fieldEnv("POD_IP", "status.podIP"),
                env("ENABLE_ES", "false"),
                env("SERVICES", "frontend"),
                env("DB", "postgres12"),
                env("POSTGRES_SEEDS", "postgres-temporal.sre.svc.cluster.local"),
                secretEnv("POSTGRES_PWD", "postgres-temporal", "password"),
              ],
              ports: [
                { name: "rpc", containerPort: 7233 },
                { name: "http", containerPort: 7243 },
                { name: "metrics", containerPort: 9090 },
              ],
              readinessProbe: tcpProbe("rpc", { initialDelaySeconds: 20 }),
              resources: requests("250m", "512Mi", "1Gi"),
            }),
          ],
        },
      },
      replicaSetCreated: "2026-06-09T06:30:02Z",
      pods: [{ node: 2, created: "2026-06-09T06:30:02Z" }],
    }),
    job,
    jobPod,
  ];
}
