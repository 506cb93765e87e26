/** Deployments with their ReplicaSets, StatefulSets and DaemonSets, each with its pods. */

import type { Doc, Labels } from "./common.js";
import { addSeconds, nameSuffix, node } from "./common.js";
import type { MeshMode } from "./injection.js";
import type { Owner } from "./objects.js";
import { object } from "./objects.js";
import type { ContainerRun, PodSpecInput } from "./pods.js";
import { buildPod, deepCopy, templateSpec } from "./pods.js";

// ---------------------------------------------------------------------------------------------
// Workloads

export interface TemplateInput {
  labels: Labels;
  annotations?: Labels;
  spec: PodSpecInput;
}

export function podTemplate(input: TemplateInput): Doc {
  return {
    metadata: {
      annotations: input.annotations && Object.keys(input.annotations).length > 0 ? input.annotations : undefined,
      creationTimestamp: null,
      labels: input.labels,
    },
    spec: templateSpec(input.spec),
  };
}

export interface PodPlacement {
  node: number;
  created: string;
  name?: string;
  runs?: Record<string, ContainerRun>;
  phase?: "Running" | "Succeeded";
}

export interface DeploymentInput {
  namespace: string;
  name: string;
  created: string;
  generation: number;
  labels?: Labels;
  annotations?: Labels;
  selector: Labels;
  template: TemplateInput;
  replicaSetCreated: string;
  replicaSetHash?: string;
  pods: PodPlacement[];
  mesh?: MeshMode;
  /** Earlier ReplicaSets scaled to zero, oldest first. */
  previousReplicaSets?: Array<{ hash: string; created: string; template: TemplateInput }>;
}

export function deployment(input: DeploymentInput): Doc[] {
  const replicas = input.pods.length;
  const revision = (input.previousReplicaSets?.length ?? 0) + 1;
  const hash = input.replicaSetHash ?? nameSuffix(`rs:${input.namespace}/${input.name}/${revision}`, 10);
  const template = podTemplate(input.template);
  const deploymentOwner: Owner = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: input.name,
    namespace: input.namespace,
  };
  const readyReplicas = replicas;
  const lastUpdate = addSeconds(input.replicaSetCreated, 20);
  const deploymentDoc = object(
    "apps/v1",
    "Deployment",
    {
      name: input.name,
      namespace: input.namespace,
      created: input.created,
      generation: input.generation,
      labels: input.labels,
      annotations: { "deployment.kubernetes.io/revision": String(revision), ...(input.annotations ?? {}) },
    },
    {
      spec: {
        progressDeadlineSeconds: 600,
        replicas,
        revisionHistoryLimit: 10,
        selector: { matchLabels: input.selector },
        strategy: { rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" }, type: "RollingUpdate" },
        template,
      },
      status: {
        availableReplicas: readyReplicas,
        conditions: [
          {
            lastTransitionTime: addSeconds(input.created, 30),
            lastUpdateTime: addSeconds(input.created, 30),
            message: "Deployment has minimum availability.",
            reason: "MinimumReplicasAvailable",
            status: "True",
            type: "Available",
          },
          {
            lastTransitionTime: addSeconds(input.created, 1),
            lastUpdateTime: lastUpdate,
            message: `ReplicaSet "${input.name}-${hash}" has successfully progressed.`,
            reason: "NewReplicaSetAvailable",
            status: "True",
            type: "Progressing",
          },
        ],
        observedGeneration: input.generation,
        readyReplicas,
        replicas,
        updatedReplicas: replicas,
      },
    },
  );

  const replicaSets: Doc[] = [];
  (input.previousReplicaSets ?? []).forEach((previous, index) => {
    replicaSets.push(
      replicaSet(input, previous.hash, previous.created, podTemplate(previous.template), index + 1, 0, deploymentOwner),
    );
  });
  replicaSets.push(replicaSet(input, hash, input.replicaSetCreated, template, revision, replicas, deploymentOwner));

  const rsName = `${input.name}-${hash}`;
  const pods = input.pods.map((placement) => {
    const podName =
      placement.name ?? `${rsName}-${nameSuffix(`pod:${input.namespace}/${rsName}/${placement.node}`, 5)}`;
    return buildPod({
      name: podName,
      namespace: input.namespace,
      created: placement.created,
      nodeName: node(placement.node).name,
      labels: { ...(input.template.labels ?? {}), "pod-template-hash": hash },
      owner: { apiVersion: "apps/v1", kind: "ReplicaSet", name: rsName, namespace: input.namespace },
      template,
      mesh: input.mesh,
      meshWorkload: deploymentOwner,
      runs: placement.runs,
      phase: placement.phase,
    });
  });
  return [deploymentDoc, ...replicaSets, ...pods];
}

export function replicaSet(
  input: DeploymentInput,
  hash: string,
  created: string,
  template: Doc,
  revision: number,
  replicas: number,
  owner: Owner,
): Doc {
  const templateWithHash = deepCopy(template);
  const templateMeta = templateWithHash.metadata as Doc;
  templateMeta.labels = { ...(templateMeta.labels as Labels), "pod-template-hash": hash };
  return object(
    "apps/v1",
    "ReplicaSet",
    {
      name: `${input.name}-${hash}`,
      namespace: input.namespace,
      created,
      generation: replicas === 0 ? 2 : 1,
      labels: { ...(input.template.labels ?? {}), "pod-template-hash": hash },
      annotations: {
        "deployment.kubernetes.io/desired-replicas": String(input.pods.length),
        "deployment.kubernetes.io/max-replicas": String(input.pods.length + Math.ceil(input.pods.length * 0.25)),
        "deployment.kubernetes.io/revision": String(revision),
      },
      owner,
    },
    {
      spec: {
        replicas,
        selector: { matchLabels: { ...input.selector, "pod-template-hash": hash } },
        template: templateWithHash,
      },
      status:
        replicas === 0
          ? { observedGeneration: 2, replicas: 0 }
          : {
              availableReplicas: replicas,
              fullyLabeledReplicas: replicas,
              observedGeneration: 1,
              readyReplicas: replicas,
              replicas,
            },
    },
  );
}

export interface StatefulSetInput {
  namespace: string;
  name: string;
  created: string;
  generation?: number;
  labels?: Labels;
  annotations?: Labels;
  selector: Labels;
  serviceName: string;
  template: TemplateInput;
  pods: PodPlacement[];
  volumeClaims?: Array<{ name: string; storage: string }>;
}

export function statefulSet(input: StatefulSetInput): Doc[] {
  const replicas = input.pods.length;
  const revision = `${input.name}-${nameSuffix(`sts:${input.namespace}/${input.name}`, 10)}`;
  const template = podTemplate(input.template);
  const owner: Owner = { apiVersion: "apps/v1", kind: "StatefulSet", name: input.name, namespace: input.namespace };
  const stsDoc = object(
    "apps/v1",
    "StatefulSet",
    {
      name: input.name,
      namespace: input.namespace,
      created: input.created,
      generation: input.generation ?? 1,
      labels: input.labels,
      annotations: input.annotations,
    },
    {
      spec: {
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        podManagementPolicy: "OrderedReady",
        replicas,
        revisionHistoryLimit: 10,
        selector: { matchLabels: input.selector },
        serviceName: input.serviceName,
        template,
        updateStrategy: { rollingUpdate: { partition: 0 }, type: "RollingUpdate" },
        volumeClaimTemplates: input.volumeClaims?.map((claim) => ({
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { creationTimestamp: null, name: claim.name },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: claim.storage } },
            storageClassName: "standard-rwo",
            volumeMode: "Filesystem",
          },
          status: { phase: "Pending" },
        })),
      },
      status: {
        availableReplicas: replicas,
        collisionCount: 0,
        currentReplicas: replicas,
        currentRevision: revision,
        observedGeneration: input.generation ?? 1,
        readyReplicas: replicas,
        replicas,
        updateRevision: revision,
        updatedReplicas: replicas,
      },
    },
  );
  const pods = input.pods.map((placement, index) => {
    const podName = `${input.name}-${index}`;
    return buildPod({
      name: podName,
      namespace: input.namespace,
      created: placement.created,
      nodeName: node(placement.node).name,
      labels: {
        ...input.template.labels,
        "apps.kubernetes.io/pod-index": String(index),
        "controller-revision-hash": revision,
        "statefulset.kubernetes.io/pod-name": podName,
      },
      owner,
      template,
      runs: placement.runs,
      leadingVolumes: (input.volumeClaims ?? []).map((claim) => ({
        name: claim.name,
        persistentVolumeClaim: { claimName: `${claim.name}-${podName}` },
      })),
      extraSpec: { hostname: podName, subdomain: input.serviceName },
    });
  });
  return [stsDoc, ...pods];
}

export interface DaemonSetInput {
  namespace: string;
  name: string;
  created: string;
  labels?: Labels;
  selector: Labels;
  template: TemplateInput;
  podNames: string[];
}

export function daemonSet(input: DaemonSetInput): Doc[] {
  const count = input.podNames.length;
  const revisionHash = nameSuffix(`ds:${input.namespace}/${input.name}`, 10);
  const template = podTemplate(input.template);
  const dsDoc = object(
    "apps/v1",
    "DaemonSet",
    {
      name: input.name,
      namespace: input.namespace,
      created: input.created,
      generation: 1,
      labels: input.labels,
      annotations: { "deprecated.daemonset.template.generation": "1" },
    },
    {
      spec: {
        revisionHistoryLimit: 10,
        selector: { matchLabels: input.selector },
        template,
        updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: "RollingUpdate" },
      },
      status: {
        currentNumberScheduled: count,
        desiredNumberScheduled: count,
        numberAvailable: count,
        numberMisscheduled: 0,
        numberReady: count,
        observedGeneration: 1,
        updatedNumberScheduled: count,
      },
    },
  );
  const pods = input.podNames.map((podName, index) => {
    const host = node(index);
    return buildPod({
      name: podName,
      namespace: input.namespace,
      created: addSeconds(input.created, 2 + index),
      nodeName: host.name,
      labels: { ...input.template.labels, "controller-revision-hash": revisionHash, "pod-template-generation": "1" },
      owner: { apiVersion: "apps/v1", kind: "DaemonSet", name: input.name, namespace: input.namespace },
      template,
      extraSpec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [host.name] }] }],
            },
          },
        },
      },
    });
  });
  return [dsDoc, ...pods];
}
