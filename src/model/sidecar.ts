import type { Container, ContainerStatus, Pod } from "./kube.js";

export type SidecarKind = "native" | "classic" | "none";

export const PROXY_CONTAINER = "istio-proxy";
export const INIT_CONTAINER = "istio-init";

export interface SidecarInfo {
  kind: SidecarKind;
  /** The istio-proxy container spec, from containers (classic) or initContainers (native). */
  container?: Container;
  status?: ContainerStatus;
  /** Image tag of the proxy, e.g. `1.23.2`. */
  version?: string;
  /** The pod carries the `sidecar.istio.io/status` annotation the injector writes. */
  injectedAnnotation: boolean;
  istioInit?: ContainerStatus;
  /** An `istio-proxy` init container without `restartPolicy: Always`: it ran once and is not a sidecar. */
  initContainerNotSidecar: boolean;
}

/** Tag of an image reference, without a digest: `docker.io/istio/proxyv2:1.23.2` gives `1.23.2`. */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const withoutDigest = image.split("@")[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > lastSlash ? withoutDigest.slice(colon + 1) : undefined;
}

/**
 * Classifies a pod's sidecar. Native sidecars are init containers with `restartPolicy: Always`
 * (Kubernetes SidecarContainers); a containers-only view misses them. An init container named
 * istio-proxy without that policy runs to completion before the app and proxies nothing.
 */
export function classifySidecar(pod: Pod): SidecarInfo {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const injectedAnnotation = Boolean(pod.metadata.annotations?.["sidecar.istio.io/status"]);
  const istioInit = status.initContainerStatuses?.find((candidate) => candidate.name === INIT_CONTAINER);

  const initProxy = spec.initContainers?.find((container) => container.name === PROXY_CONTAINER);
  const nativeProxy = initProxy?.restartPolicy === "Always" ? initProxy : undefined;
  if (nativeProxy) {
    return {
      kind: "native",
      container: nativeProxy,
      status: status.initContainerStatuses?.find((candidate) => candidate.name === PROXY_CONTAINER),
      version: imageTag(nativeProxy.image),
      injectedAnnotation,
      istioInit,
      initContainerNotSidecar: false,
    };
  }

  const classicProxy = spec.containers?.find((container) => container.name === PROXY_CONTAINER);
  if (classicProxy) {
    return {
      kind: "classic",
      container: classicProxy,
      status: status.containerStatuses?.find((candidate) => candidate.name === PROXY_CONTAINER),
      version: imageTag(classicProxy.image),
      injectedAnnotation,
      istioInit,
      initContainerNotSidecar: initProxy !== undefined,
    };
  }

  return { kind: "none", injectedAnnotation, istioInit, initContainerNotSidecar: initProxy !== undefined };
}
