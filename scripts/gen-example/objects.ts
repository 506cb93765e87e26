/** Builders for object metadata, containers, Services, ConfigMaps, Namespaces, Nodes and Ingresses. */

import type { Doc, Labels, NodeInfo } from "./common.js";
import {
  addSeconds,
  allocateServiceIp,
  CAPTURED_AT,
  INGRESS_LB_IP,
  ISTIOD_ROOT_PEM,
  objectUid,
  resourceVersion,
  sha256,
  uidFor,
} from "./common.js";

// ---------------------------------------------------------------------------------------------
// Object metadata

export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface MetaInput {
  name: string;
  namespace?: string;
  created: string;
  labels?: Labels;
  annotations?: Labels;
  owner?: Owner;
  generation?: number;
  generateName?: string;
  finalizers?: string[];
  managedFields?: Doc[];
}

export function ownerReference(owner: Owner): Doc {
  return {
    apiVersion: owner.apiVersion,
    blockOwnerDeletion: true,
    controller: true,
    kind: owner.kind,
    name: owner.name,
    uid: objectUid(owner.kind, owner.namespace, owner.name),
  };
}

export function objectMeta(kind: string, input: MetaInput): Doc {
  return {
    annotations: input.annotations && Object.keys(input.annotations).length > 0 ? input.annotations : undefined,
    creationTimestamp: input.created,
    finalizers: input.finalizers,
    generateName: input.generateName,
    generation: input.generation,
    labels: input.labels && Object.keys(input.labels).length > 0 ? input.labels : undefined,
    managedFields: input.managedFields,
    name: input.name,
    namespace: input.namespace,
    ownerReferences: input.owner ? [ownerReference(input.owner)] : undefined,
    resourceVersion: resourceVersion(`${kind}/${input.namespace ?? ""}/${input.name}`),
    uid: objectUid(kind, input.namespace, input.name),
  };
}

export function object(apiVersion: string, kind: string, meta: MetaInput, body: Doc = {}): Doc {
  return { apiVersion, kind, metadata: objectMeta(kind, meta), ...body };
}

// ---------------------------------------------------------------------------------------------
// Containers and probes

export function env(name: string, value: string): Doc {
  return { name, value };
}

export function fieldEnv(name: string, fieldPath: string): Doc {
  return { name, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } } };
}

export function resourceEnv(name: string, resource: string): Doc {
  return { name, valueFrom: { resourceFieldRef: { divisor: "0", resource } } };
}

export function secretEnv(name: string, secret: string, key: string): Doc {
  return { name, valueFrom: { secretKeyRef: { key, name: secret } } };
}

export function httpGetProbe(probePath: string, port: number | string, extra: Doc = {}): Doc {
  return {
    failureThreshold: 3,
    httpGet: { path: probePath, port, scheme: "HTTP" },
    periodSeconds: 10,
    successThreshold: 1,
    timeoutSeconds: 1,
    ...extra,
  };
}

export function tcpProbe(port: number | string, extra: Doc = {}): Doc {
  return {
    failureThreshold: 3,
    periodSeconds: 10,
    successThreshold: 1,
    tcpSocket: { port },
    timeoutSeconds: 1,
    ...extra,
  };
}

export function execProbe(command: string[], extra: Doc = {}): Doc {
  return {
    exec: { command },
    failureThreshold: 3,
    periodSeconds: 10,
    successThreshold: 1,
    timeoutSeconds: 1,
    ...extra,
  };
}

export interface ContainerInput {
  name: string;
  image: string;
  ports?: Array<{ name: string; containerPort: number; protocol?: "TCP" | "UDP" }>;
  env?: Doc[];
  args?: string[];
  command?: string[];
  readinessProbe?: Doc;
  livenessProbe?: Doc;
  startupProbe?: Doc;
  volumeMounts?: Doc[];
  resources?: Doc;
  securityContext?: Doc;
  restartPolicy?: string;
  envFrom?: Doc[];
}

/** Builds a container with the fields the API server defaults on create. */
export function container(input: ContainerInput): Doc {
  return {
    args: input.args,
    command: input.command,
    env: input.env,
    envFrom: input.envFrom,
    image: input.image,
    imagePullPolicy: input.image.endsWith(":latest") ? "Always" : "IfNotPresent",
    livenessProbe: input.livenessProbe,
    name: input.name,
    ports: input.ports?.map((port) => ({
      containerPort: port.containerPort,
      name: port.name,
      protocol: port.protocol ?? "TCP",
    })),
    readinessProbe: input.readinessProbe,
    resources: input.resources ?? {},
    restartPolicy: input.restartPolicy,
    securityContext: input.securityContext,
    startupProbe: input.startupProbe,
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    volumeMounts: input.volumeMounts,
  };
}

export function requests(cpu: string, memory: string, limitMemory?: string): Doc {
  return { limits: limitMemory ? { memory: limitMemory } : undefined, requests: { cpu, memory } };
}

export const restrictedSecurityContext: Doc = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};

// ---------------------------------------------------------------------------------------------
// Services, ConfigMaps and other simple objects

export interface ServicePort {
  name: string;
  protocol?: "TCP" | "UDP";
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface ServiceInput {
  namespace: string;
  name: string;
  created: string;
  labels?: Labels;
  annotations?: Labels;
  selector?: Labels;
  ports: ServicePort[];
  headless?: boolean;
  type?: "ClusterIP" | "LoadBalancer";
  publishNotReadyAddresses?: boolean;
}

export function service(input: ServiceInput): Doc {
  const clusterIp = input.headless ? "None" : allocateServiceIp();
  const isLoadBalancer = input.type === "LoadBalancer";
  return object(
    "v1",
    "Service",
    {
      name: input.name,
      namespace: input.namespace,
      created: input.created,
      labels: input.labels,
      annotations: input.annotations,
    },
    {
      spec: {
        allocateLoadBalancerNodePorts: isLoadBalancer ? true : undefined,
        clusterIP: clusterIp,
        clusterIPs: [clusterIp],
        externalTrafficPolicy: isLoadBalancer ? "Local" : undefined,
        healthCheckNodePort: isLoadBalancer ? 31876 : undefined,
        internalTrafficPolicy: "Cluster",
        ipFamilies: ["IPv4"],
        ipFamilyPolicy: "SingleStack",
        ports: input.ports.map((port) => ({
          appProtocol: port.appProtocol,
          name: port.name,
          nodePort: port.nodePort,
          port: port.port,
          protocol: port.protocol ?? "TCP",
          targetPort: port.targetPort ?? port.port,
        })),
        publishNotReadyAddresses: input.publishNotReadyAddresses,
        selector: input.selector,
        sessionAffinity: "None",
        type: input.type ?? "ClusterIP",
      },
      status: { loadBalancer: isLoadBalancer ? { ingress: [{ ip: INGRESS_LB_IP, ipMode: "VIP" }] } : {} },
    },
  );
}

export function configMap(
  namespace: string,
  name: string,
  created: string,
  data: Labels,
  labels?: Labels,
  annotations?: Labels,
): Doc {
  return object("v1", "ConfigMap", { name, namespace, created, labels, annotations }, { data });
}

export function serviceAccount(namespace: string, name: string, created: string, labels?: Labels): Doc {
  return object("v1", "ServiceAccount", { name, namespace, created, labels });
}

export function istioCaRootCert(namespace: string): Doc {
  return configMap(
    namespace,
    "istio-ca-root-cert",
    "2026-06-28T18:00:52Z",
    { "root-cert.pem": ISTIOD_ROOT_PEM },
    { "istio.io/config": "true" },
  );
}

export function managedLabelField(manager: string, time: string, labels: string[], withRoot: boolean): Doc {
  const labelFields: Doc = withRoot ? { ".": {} } : {};
  for (const label of labels) labelFields[`f:${label}`] = {};
  return {
    apiVersion: "v1",
    fieldsType: "FieldsV1",
    fieldsV1: { "f:metadata": { "f:labels": labelFields } },
    manager,
    operation: "Update",
    time,
  };
}

/** A Namespace as `kubectl get --show-managed-fields` returns it. */
export function namespace(
  name: string,
  created: string,
  extraLabels: Labels = {},
  extraManagedFields: Doc[] = [],
): Doc {
  return object(
    "v1",
    "Namespace",
    {
      name,
      created,
      labels: { "kubernetes.io/metadata.name": name, ...extraLabels },
      managedFields: [
        managedLabelField(
          name.startsWith("kube-") || name === "default" ? "kube-apiserver" : "kubectl-create",
          created,
          ["kubernetes.io/metadata.name"],
          true,
        ),
        ...extraManagedFields,
      ],
    },
    { spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } },
  );
}

// ---------------------------------------------------------------------------------------------
// Nodes

export function nodeDoc(info: NodeInfo, index: number): Doc {
  const heartbeat = addSeconds(CAPTURED_AT, -23 - index * 7);
  const readyAt = addSeconds(info.created, 41);
  const condition = (type: string, status: string, reason: string, message: string): Doc => ({
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: readyAt,
    message,
    reason,
    status,
    type,
  });
  const h = sha256(`node:${info.name}`);
  return object(
    "v1",
    "Node",
    {
      name: info.name,
      created: info.created,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/instance-type": "s-4vcpu-8gb",
        "beta.kubernetes.io/os": "linux",
        "failure-domain.beta.kubernetes.io/region": "nyc2",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": info.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "s-4vcpu-8gb",
        "node-pool": "pool-a1b2c",
        "topology.kubernetes.io/region": "nyc2",
      },
      annotations: {
        "alpha.kubernetes.io/provided-node-ip": info.internalIp,
        "csi.volume.kubernetes.io/nodeid": JSON.stringify({ "csi.spiffe.io": info.name }),
        "node.alpha.kubernetes.io/ttl": "0",
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
      },
    },
    {
      spec: { podCIDR: info.podCidr, podCIDRs: [info.podCidr] },
      status: {
        addresses: [
          { address: info.name, type: "Hostname" },
          { address: info.internalIp, type: "InternalIP" },
          { address: info.externalIp, type: "ExternalIP" },
        ],
        allocatable: {
          cpu: "4",
          "ephemeral-storage": "152161143761",
          "hugepages-1Gi": "0",
          "hugepages-2Mi": "0",
          memory: "6919224Ki",
          pods: "110",
        },
        capacity: {
          cpu: "4",
          "ephemeral-storage": "165105408Ki",
          "hugepages-1Gi": "0",
          "hugepages-2Mi": "0",
          memory: "8149944Ki",
          pods: "110",
        },
        conditions: [
          condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
          condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
          condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
          condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          architecture: "amd64",
          bootID: uidFor(`boot:${info.name}`),
          containerRuntimeVersion: "containerd://2.1.3",
          kernelVersion: "6.1.0-37-amd64",
          kubeletVersion: "v1.36.1",
          machineID: h.slice(0, 32),
          operatingSystem: "linux",
          osImage: "Debian GNU/Linux 12 (bookworm)",
          systemUUID: uidFor(`system:${info.name}`).toUpperCase(),
        },
      },
    },
  );
}

export function ingress(ns: string, name: string, host: string, backend: string, port: number, created: string): Doc {
  return object(
    "networking.k8s.io/v1",
    "Ingress",
    {
      name,
      namespace: ns,
      created,
      generation: 1,
      labels: { app: backend },
      annotations: {
        "cert-manager.io/cluster-issuer": "letsencrypt-prod",
        "nginx.ingress.kubernetes.io/proxy-body-size": "20m",
      },
    },
    {
      spec: {
        ingressClassName: "nginx",
        rules: [
          {
            host,
            http: {
              paths: [
                { backend: { service: { name: backend, port: { number: port } } }, path: "/", pathType: "Prefix" },
              ],
            },
          },
        ],
        tls: [{ hosts: [host], secretName: `${host.replaceAll(".", "-")}-tls` }],
      },
      status: { loadBalancer: { ingress: [{ ip: INGRESS_LB_IP }] } },
    },
  );
}
