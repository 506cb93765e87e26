import type { ClusterModel, PodView, WorkloadView } from "../../model/cluster.js";
import type { Container, KubeObject } from "../../model/kube.js";
import { objectSubject } from "../../model/kube.js";
import { INIT_CONTAINER, PROXY_CONTAINER } from "../../model/sidecar.js";

/**
 * Ports the sidecar itself listens on (Istio 1.23): admin 15000, outbound and inbound capture
 * 15001/15006, tunnel 15008/15009, pilot-agent 15020, health 15021, Envoy stats 15090. Callers of
 * these ports are never subject to PeerAuthentication.
 */
export const PROXY_PORTS: ReadonlySet<number> = new Set([
  15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15090,
]);

/** One Service port as it reaches one pod: the Service port and the container port it targets. */
export interface ServicePortBinding {
  service: KubeObject;
  serviceSubject: string;
  port: number;
  portName?: string;
  appProtocol?: string;
  /** The container port the traffic arrives on; undefined when a named targetPort matches no container port. */
  targetPort?: number;
  /** The targetPort as the Service writes it, for evidence. */
  targetPortSpec: number | string;
}

interface ServicePortSpec {
  port?: number;
  name?: string;
  appProtocol?: string;
  targetPort?: number | string;
  protocol?: string;
}

export function appContainers(pod: PodView): Container[] {
  const containers = [...(pod.object.spec?.initContainers ?? []), ...(pod.object.spec?.containers ?? [])];
  return containers.filter((container) => container.name !== PROXY_CONTAINER && container.name !== INIT_CONTAINER);
}

/** Resolves a named or numbered port to a container port of a pod; a number is taken as it is. */
export function resolveContainerPort(pod: PodView, port: number | string | undefined): number | undefined {
  if (port === undefined) return undefined;
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  for (const container of appContainers(pod)) {
    const found = container.ports?.find((candidate) => candidate.name === port);
    if (found) return found.containerPort;
  }
  return undefined;
}

/** Container ports the app containers declare, without the proxy's own ports. */
export function declaredContainerPorts(pod: PodView): number[] {
  const ports = new Set<number>();
  for (const container of appContainers(pod)) {
    for (const port of container.ports ?? []) {
      if (!PROXY_PORTS.has(port.containerPort)) ports.add(port.containerPort);
    }
  }
  return [...ports];
}

/**
 * Index from pods to the Service ports that reach them. It is built once per model from each
 * Service's selector through the model's label index, so the cost follows the matches and not the
 * number of pods.
 */
export class ServiceIndex {
  private readonly bindingsByPod = new Map<PodView, ServicePortBinding[]>();
  private readonly servicesByNamespace = new Map<string, KubeObject[]>();

  constructor(private readonly model: ClusterModel) {
    for (const service of model.list("Service")) {
      const namespace = service.metadata.namespace ?? "default";
      const list = this.servicesByNamespace.get(namespace) ?? [];
      list.push(service);
      this.servicesByNamespace.set(namespace, list);

      const selector = service.spec?.selector as Record<string, string> | undefined;
      if (!selector || Object.keys(selector).length === 0) continue;
      const ports = (service.spec?.ports ?? []) as ServicePortSpec[];
      for (const pod of model.podsMatching({ matchLabels: selector }, namespace)) {
        const bindings = this.bindingsByPod.get(pod) ?? [];
        for (const port of ports) {
          if (typeof port.port !== "number") continue;
          const targetPortSpec = port.targetPort ?? port.port;
          bindings.push({
            service,
            serviceSubject: objectSubject(service),
            port: port.port,
            portName: port.name,
            appProtocol: port.appProtocol,
            targetPort: resolveContainerPort(pod, targetPortSpec),
            targetPortSpec,
          });
        }
        this.bindingsByPod.set(pod, bindings);
      }
    }
  }

  bindingsOf(pod: PodView): ServicePortBinding[] {
    return this.bindingsByPod.get(pod) ?? [];
  }

  servicesIn(namespace: string): KubeObject[] {
    return this.servicesByNamespace.get(namespace) ?? [];
  }

  allServices(): KubeObject[] {
    return [...this.servicesByNamespace.values()].flat();
  }

  service(namespace: string, name: string): KubeObject | undefined {
    return this.model.get("Service", namespace, name);
  }

  /** Pods a Service selects; none for a Service without a selector. */
  podsOf(service: KubeObject): PodView[] {
    const selector = service.spec?.selector as Record<string, string> | undefined;
    if (!selector || Object.keys(selector).length === 0) return [];
    return this.model.podsMatching({ matchLabels: selector }, service.metadata.namespace ?? "default");
  }

  /** Container ports some Service targets on a pod. */
  targetPortsOf(pod: PodView): Set<number> {
    const ports = new Set<number>();
    for (const binding of this.bindingsOf(pod)) if (binding.targetPort !== undefined) ports.add(binding.targetPort);
    return ports;
  }
}

const serviceIndexes = new WeakMap<ClusterModel, ServiceIndex>();

/** Returns the Service index of a model, built on first use and shared by every check of the run. */
export function serviceIndexOf(model: ClusterModel): ServiceIndex {
  let index = serviceIndexes.get(model);
  if (!index) {
    index = new ServiceIndex(model);
    serviceIndexes.set(model, index);
  }
  return index;
}

/** Pods of a workload that carry a sidecar, or all its pods when none does. */
export function representativePods(workload: WorkloadView): PodView[] {
  const meshed = workload.pods.filter((pod) => pod.sidecar.kind !== "none");
  return meshed.length > 0 ? meshed : workload.pods;
}

/** Inbound ports of a workload: the declared container ports and every port a Service targets, sorted. */
export function inboundPorts(index: ServiceIndex, workload: WorkloadView): number[] {
  const ports = new Set<number>();
  for (const pod of representativePods(workload)) {
    for (const port of declaredContainerPorts(pod)) ports.add(port);
    for (const port of index.targetPortsOf(pod)) if (!PROXY_PORTS.has(port)) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * Inbound ports the sidecar does not capture, from the pod's traffic annotations: everything
 * listed in `excludeInboundPorts`, and with an `includeInboundPorts` other than `*`, every port
 * not listed (an empty value captures nothing).
 */
export function uncapturedPorts(pod: PodView, ports: readonly number[]): number[] {
  const exclude = parsePortList(pod.annotations["traffic.sidecar.istio.io/excludeInboundPorts"]);
  const include = pod.annotations["traffic.sidecar.istio.io/includeInboundPorts"];
  const included = include === undefined || include.trim() === "*" ? undefined : new Set(parsePortList(include));
  const candidates = new Set([...ports, ...exclude]);
  return [...candidates]
    .filter((port) => exclude.includes(port) || (included !== undefined && !included.has(port)))
    .sort((a, b) => a - b);
}

export function parsePortList(value: string | undefined): number[] {
  if (!value) return [];
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => /^\d+$/.test(part))
    .map(Number);
}

/** `Kind ns/name` of the workload that a Prometheus `destination_workload` label names, when it is in the objects. */
export function findWorkloadByName(model: ClusterModel, namespace: string, name: string): WorkloadView | undefined {
  for (const kind of ["Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job", "ReplicaSet", "Pod"]) {
    const found = model.workload(`${kind} ${namespace}/${name}`);
    if (found) return found;
  }
  return undefined;
}
