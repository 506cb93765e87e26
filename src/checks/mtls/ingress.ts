import type { ClusterModel, PodView, WorkloadView } from "../../model/cluster.js";
import type { KubeObject } from "../../model/kube.js";
import { objectSubject } from "../../model/kube.js";
import type { RolloutPlan } from "../../plan/schema.js";
import { resolveContainerPort, type ServiceIndex } from "./ports.js";

const NGINX_NAME_LABEL = "app.kubernetes.io/name";
export const SERVICE_UPSTREAM = "nginx.ingress.kubernetes.io/service-upstream";
export const UPSTREAM_VHOST = "nginx.ingress.kubernetes.io/upstream-vhost";

/**
 * Finds the ingress-nginx controller workload: the plan's `ingress.workload`, else the controller
 * pods (`app.kubernetes.io/name=ingress-nginx`, component controller) in the plan's ingress
 * namespace or anywhere.
 */
export function findIngressController(model: ClusterModel, plan: RolloutPlan | undefined): WorkloadView | undefined {
  const named = plan?.spec.ingress?.workload;
  if (named) return model.workload(named);

  const namespace = plan?.spec.ingress?.namespace;
  const candidates = model.podsMatching({ matchLabels: { [NGINX_NAME_LABEL]: "ingress-nginx" } }, namespace);
  const controller =
    candidates.find((pod) => pod.labels["app.kubernetes.io/component"] === "controller") ?? candidates[0];
  if (controller) return model.workload(controller.workload);
  if (namespace) {
    const pods = model.podsInNamespace(namespace);
    const byName = pods.find((pod) => pod.name.includes("controller")) ?? pods[0];
    return byName ? model.workload(byName.workload) : undefined;
  }
  return undefined;
}

/** Ingress objects ingress-nginx serves: class `nginx` (or any class naming nginx), or no class at all. */
export function nginxIngresses(model: ClusterModel): KubeObject[] {
  return model.list("Ingress").filter((ingress) => {
    const className =
      (ingress.spec?.ingressClassName as string | undefined) ??
      ingress.metadata.annotations?.["kubernetes.io/ingress.class"];
    return className === undefined || className.includes("nginx");
  });
}

interface BackendSpec {
  service?: { name?: string; port?: { number?: number; name?: string } };
}

/** Lists the Service backends an Ingress names, from its default backend and every rule path. */
export function ingressBackends(
  ingress: KubeObject,
): Array<{ serviceName: string; port: { number?: number; name?: string } }> {
  const backends: BackendSpec[] = [];
  if (ingress.spec?.defaultBackend) backends.push(ingress.spec.defaultBackend as BackendSpec);
  for (const rule of (ingress.spec?.rules ?? []) as Array<{ http?: { paths?: Array<{ backend?: BackendSpec }> } }>) {
    for (const path of rule.http?.paths ?? []) if (path.backend) backends.push(path.backend);
  }
  const seen = new Set<string>();
  const result: Array<{ serviceName: string; port: { number?: number; name?: string } }> = [];
  for (const backend of backends) {
    const name = backend.service?.name;
    if (!name) continue;
    const port = backend.service?.port ?? {};
    const key = `${name}:${port.number ?? port.name ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ serviceName: name, port });
  }
  return result;
}

/** One hop from an Ingress to a pod port: Ingress → Service port → container port of a workload. */
export interface IngressRoute {
  ingress: KubeObject;
  ingressSubject: string;
  service?: KubeObject;
  serviceName: string;
  /** The Service port as the Ingress names it. */
  servicePort: string;
  workload?: WorkloadView;
  pod?: PodView;
  /** The container port traffic arrives on; undefined when the chain breaks. */
  containerPort?: number;
  /** The reason the chain could not be followed, when it breaks. */
  broken?: string;
}

/** Follows every backend of the nginx Ingresses to the workloads and container ports it reaches, one route per workload and port. */
export function ingressRoutes(model: ClusterModel, index: ServiceIndex): IngressRoute[] {
  const routes: IngressRoute[] = [];
  for (const ingress of nginxIngresses(model)) {
    const namespace = ingress.metadata.namespace ?? "default";
    const ingressSubject = objectSubject(ingress);
    for (const backend of ingressBackends(ingress)) {
      const servicePort = String(backend.port.number ?? backend.port.name ?? "");
      const service = index.service(namespace, backend.serviceName);
      const base = { ingress, ingressSubject, serviceName: backend.serviceName, servicePort, service };
      if (!service) {
        routes.push({ ...base, broken: `Service ${namespace}/${backend.serviceName} is not in the objects` });
        continue;
      }
      const portSpec = (
        (service.spec?.ports ?? []) as Array<{ port?: number; name?: string; targetPort?: number | string }>
      ).find(
        (candidate) =>
          (backend.port.number !== undefined && candidate.port === backend.port.number) ||
          (backend.port.name !== undefined && candidate.name === backend.port.name),
      );
      if (!portSpec) {
        routes.push({ ...base, broken: `Service ${namespace}/${backend.serviceName} has no port ${servicePort}` });
        continue;
      }
      const seen = new Set<string>();
      for (const pod of index.podsOf(service)) {
        const containerPort = resolveContainerPort(pod, portSpec.targetPort ?? portSpec.port);
        const key = `${pod.workload}:${containerPort}`;
        if (seen.has(key)) continue;
        seen.add(key);
        routes.push({ ...base, workload: model.workload(pod.workload), pod, containerPort });
      }
    }
  }
  return routes;
}
