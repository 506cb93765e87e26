import type * as k8s from "@kubernetes/client-node";

/**
 * Loading of @kubernetes/client-node, and the options every API call uses. The library takes about
 * 0.4 s to import on Node 20, so it is loaded with `await import()` when a live run starts, and
 * `--help` and snapshot runs never load it. kubeconfig.ts selects the cluster.
 */

export type KubernetesClientModule = typeof k8s;

export async function loadKubernetesClient(): Promise<KubernetesClientModule> {
  return await import("@kubernetes/client-node");
}

/**
 * Build the options for one API call. They set an AbortSignal timeout, because client-node 1.4 sets
 * none and a request to a server that never responds hangs forever. `rewriteCorePath` lets the
 * generic custom-object list reach the core group (`/apis//v1/pods` becomes `/api/v1/pods`). So every
 * kind comes back as the server's raw JSON, not as client-node's typed models, which drop unknown
 * fields and turn timestamps into Date objects.
 */
export function requestOptions(
  client: KubernetesClientModule,
  timeoutMs: number,
  rewriteCorePath = false,
): k8s.ConfigurationOptions {
  const middleware: k8s.ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      if (rewriteCorePath) context.setUrl(context.getUrl().replace("/apis//", "/api/"));
      return new client.Observable(Promise.resolve(context));
    },
    post: (response) => new client.Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: "append" };
}
