import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { ExitCode, UserError } from "../../errors.js";
import { maskCredentials } from "../redact.js";

/**
 * Loading of @kubernetes/client-node and the kubeconfig, and the options every API call uses. The
 * library takes about 0.4 s to import on Node 20, so it is loaded with `await import()` when a live
 * run starts, and `--help` and snapshot runs never load it.
 */

export type KubernetesClientModule = typeof k8s;

export async function loadKubernetesClient(): Promise<KubernetesClientModule> {
  return await import("@kubernetes/client-node");
}

export interface KubeconfigOptions {
  /** Path of a kubeconfig file. @default the KUBECONFIG variable, else ~/.kube/config */
  kubeconfig?: string;
  /** Context to use. @default the kubeconfig's current-context */
  context?: string;
  /** Use the pod's service account (KUBERNETES_SERVICE_HOST and the mounted token). @default false */
  inCluster?: boolean;
  /** Root directory of the in-cluster service-account files. Only tests set it. @default "" */
  inClusterPathPrefix?: string;
}

export interface ClusterTarget {
  config: k8s.KubeConfig;
  /** The context name, or `in-cluster`. */
  context: string;
  /** The API server URL, with any credentials in it masked. */
  server: string;
}

/** Load the kubeconfig the options name and select its context. Throws UserError when either fails. */
export function loadClusterTarget(client: KubernetesClientModule, options: KubeconfigOptions): ClusterTarget {
  const config = new client.KubeConfig();

  if (options.inCluster) {
    try {
      config.loadFromCluster(options.inClusterPathPrefix);
    } catch (error) {
      throw new UserError(`cannot load the in-cluster configuration: ${errorText(error)}`, ExitCode.invalidInput);
    }
    return { config, context: "in-cluster", server: maskCredentials(config.getCurrentCluster()?.server ?? "") };
  }

  const source = options.kubeconfig ?? (process.env.KUBECONFIG ? "KUBECONFIG" : join(homedir(), ".kube", "config"));
  try {
    if (options.kubeconfig !== undefined) {
      config.loadFromFile(options.kubeconfig);
    } else if (process.env.KUBECONFIG || existsSync(source)) {
      config.loadFromDefault();
    } else {
      throw new UserError(
        `no kubeconfig found at ${source}. Pass --kubeconfig FILE, set KUBECONFIG, or run in a pod with --in-cluster`,
        ExitCode.invalidInput,
      );
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read the kubeconfig ${source}: ${errorText(error)}`, ExitCode.invalidInput);
  }

  if (options.context !== undefined) {
    const names = config.getContexts().map((context) => context.name);
    if (!names.includes(options.context)) {
      const available = names.length > 0 ? names.join(", ") : "none";
      throw new UserError(
        `context "${options.context}" not found in the kubeconfig ${source}. Available contexts: ${available}`,
        ExitCode.invalidInput,
      );
    }
    config.setCurrentContext(options.context);
  }

  const context = config.getCurrentContext();
  const cluster = config.getCurrentCluster();
  if (!context || !cluster) {
    throw new UserError(`the kubeconfig ${source} has no current context. Pass --context NAME`, ExitCode.invalidInput);
  }
  return { config, context, server: maskCredentials(cluster.server) };
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

export function errorText(error: unknown): string {
  return maskCredentials(error instanceof Error ? error.message : String(error));
}
