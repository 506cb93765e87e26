import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { loadAll, YAMLException } from "js-yaml";
import { InputError, UserError } from "../../errors.js";
import { maskCredentials } from "../redact.js";
import type { KubernetesClientModule } from "./client.js";

/**
 * Selection of the cluster a live run reads: a kubeconfig context or the pod's service account.
 * Every problem found here is a UserError with exit code 2 that names the file or variable at fault,
 * so client-node never gets a configuration it would fail on with a bare TypeError or "Invalid URL".
 */

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
  /** Whether the pod's service account, not a kubeconfig, selected the server. */
  inCluster: boolean;
}

/** Folder of the service-account token, CA certificate and namespace that client-node's loadFromCluster reads, below its path prefix. */
const SERVICE_ACCOUNT_DIRECTORY = "/var/run/secrets/kubernetes.io/serviceaccount";

const SNAPSHOT_HINT = "or read a saved snapshot with --snapshot PATH";

/** Load the kubeconfig the options name and select its context. Throws UserError when either fails. */
export function loadClusterTarget(client: KubernetesClientModule, options: KubeconfigOptions): ClusterTarget {
  if (options.inCluster) return loadInClusterTarget(client, options.inClusterPathPrefix ?? "");

  const { config, label } = loadKubeconfig(client, options.kubeconfig);
  const contextNames = config.getContexts().map((context) => context.name);
  const available = contextNames.join(", ");

  if (contextNames.length === 0) {
    const content = config.getClusters().length === 0 ? "is empty or has no clusters and contexts" : "has no contexts";
    throw new UserError(
      `${label} ${content}. Pass a kubeconfig with a context (kubectl config get-contexts), or use --snapshot PATH.`,
    );
  }

  if (options.context !== undefined) {
    if (!contextNames.includes(options.context)) {
      throw new UserError(
        `context "${options.context}" not found in ${label}. Available contexts: ${available}. Pass one of them with --context NAME.`,
      );
    }
    config.setCurrentContext(options.context);
  }

  const contextName = config.getCurrentContext();
  if (!contextName) {
    throw new UserError(`${label} sets no current-context. Pass --context NAME with one of: ${available}.`);
  }
  const context = config.getContextObject(contextName);
  if (!context) {
    throw new UserError(
      `the current-context "${contextName}" of ${label} is not one of its contexts (${available}). Pass --context NAME with one of them.`,
    );
  }
  const cluster = config.getCluster(context.cluster);
  if (!cluster) {
    throw new UserError(
      `context "${contextName}" in ${label} refers to cluster "${context.cluster}", which is not defined there. Add the cluster or pass another --context NAME.`,
    );
  }
  if (!isHttpUrl(cluster.server)) {
    throw new UserError(
      `cluster "${cluster.name}" in ${label} has the invalid server URL "${maskCredentials(cluster.server)}". Set it to the API server's https:// URL.`,
    );
  }
  return { config, context: contextName, server: maskCredentials(cluster.server), inCluster: false };
}

/**
 * Check the variables and files that in-cluster configuration reads, then load it. client-node 1.4
 * checks none of them: without the variables it builds the server URL `https://undefined:undefined`,
 * and a missing token or CA file only fails at the first request.
 */
function loadInClusterTarget(client: KubernetesClientModule, pathPrefix: string): ClusterTarget {
  const directory = `${pathPrefix}${SERVICE_ACCOUNT_DIRECTORY}`;
  const missing = [
    ...["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"].filter((name) => !process.env[name]),
    ...["token", "ca.crt"].map((file) => join(directory, file)).filter((path) => !existsSync(path)),
  ];
  if (missing.length > 0) {
    throw new UserError(
      "in-cluster configuration needs the KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT variables and the " +
        `service-account token and ca.crt in ${directory}, which exist only inside a pod. Missing: ${missing.join(", ")}. ` +
        `Outside a pod, pass --kubeconfig FILE or --context NAME, ${SNAPSHOT_HINT}.`,
    );
  }

  const config = new client.KubeConfig();
  config.loadFromCluster(pathPrefix);
  const server = config.getCurrentCluster()?.server ?? "";
  if (!isHttpUrl(server)) {
    throw new UserError(
      `KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT give the invalid API server URL "${maskCredentials(server)}". ` +
        "Check both variables in the pod.",
    );
  }
  return { config, context: "in-cluster", server: maskCredentials(server), inCluster: true };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

interface LoadedKubeconfig {
  config: k8s.KubeConfig;
  /** Names the kubeconfig in messages, for example `the kubeconfig /home/me/.kube/config`. */
  label: string;
}

/**
 * Load the kubeconfig that `--kubeconfig`, KUBECONFIG or ~/.kube/config names, in that order of
 * precedence. Like kubectl, it skips KUBECONFIG entries that do not exist and merges the others, and
 * the first file to define a name or current-context wins.
 */
function loadKubeconfig(client: KubernetesClientModule, kubeconfigOption: string | undefined): LoadedKubeconfig {
  if (kubeconfigOption !== undefined) {
    if (!existsSync(kubeconfigOption)) {
      throw new UserError(
        `the kubeconfig ${kubeconfigOption} does not exist. Pass the path of a kubeconfig file with --kubeconfig FILE, ${SNAPSHOT_HINT}.`,
      );
    }
    return { config: loadKubeconfigFile(client, kubeconfigOption), label: `the kubeconfig ${kubeconfigOption}` };
  }

  const variable = process.env.KUBECONFIG ?? "";
  const fromVariable = variable.split(delimiter).filter((path) => path !== "");
  const tried = fromVariable.length > 0 ? fromVariable : [join(homedir(), ".kube", "config")];
  const files = tried.filter((path) => existsSync(path));
  if (files.length === 0) {
    const origin = fromVariable.length > 0 ? "from KUBECONFIG" : "KUBECONFIG is not set";
    throw new UserError(
      `no kubeconfig found: tried ${tried.join(", ")} (${origin}). Pass --kubeconfig FILE or set KUBECONFIG, ` +
        `run in a pod with --in-cluster, ${SNAPSHOT_HINT}.`,
    );
  }

  const [first, ...rest] = files.map((file) => loadKubeconfigFile(client, file));
  const config = first ?? new client.KubeConfig();
  for (const next of rest) mergeFirstWins(config, next);
  const label = files.length === 1 ? `the kubeconfig ${files[0]}` : `the kubeconfig merged from ${files.join(", ")}`;
  return { config, label };
}

/**
 * Load one kubeconfig file. The YAML is parsed here first, because client-node 1.4 fails on an empty
 * file with a TypeError and on invalid YAML with a message that does not name the file. A file with
 * no document, or only `null`, gives an empty configuration, which the caller reports.
 */
function loadKubeconfigFile(client: KubernetesClientModule, file: string): k8s.KubeConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UserError(`cannot read the kubeconfig ${file}: ${errorMessage(error)}.`);
  }

  let documents: unknown[];
  try {
    documents = loadAll(text);
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    const place = error.mark ? { line: error.mark.line + 1, column: error.mark.column + 1 } : {};
    throw new InputError(
      file,
      `invalid YAML in the kubeconfig: ${error.reason}. Fix the file or pass another with --kubeconfig FILE, ${SNAPSHOT_HINT}.`,
      place,
    );
  }

  if (documents.length > 1) {
    throw new InputError(
      file,
      `a kubeconfig is one YAML document, but this file has ${documents.length}. Remove the extra "---" separators.`,
    );
  }
  const config = new client.KubeConfig();
  const [document] = documents;
  if (document === undefined || document === null) return config;
  if (typeof document !== "object" || Array.isArray(document)) {
    throw new InputError(
      file,
      `not a kubeconfig: expected a YAML mapping with clusters, contexts and users, found ${Array.isArray(document) ? "a list" : `a ${typeof document}`}.`,
    );
  }
  try {
    // loadFromFile, not loadFromString, so that relative certificate paths resolve against the file's folder.
    config.loadFromFile(file);
  } catch (error) {
    throw new UserError(`the kubeconfig ${file} is invalid: ${errorMessage(error)}. Fix the file or pass another.`);
  }
  return config;
}

/** Add the clusters, users and contexts of `next` that `config` lacks, and its current-context if `config` has none. */
function mergeFirstWins(config: k8s.KubeConfig, next: k8s.KubeConfig): void {
  for (const cluster of next.getClusters()) if (!config.getCluster(cluster.name)) config.addCluster(cluster);
  for (const user of next.getUsers()) if (!config.getUser(user.name)) config.addUser(user);
  for (const context of next.getContexts()) if (!config.getContextObject(context.name)) config.addContext(context);
  if (!config.getCurrentContext() && next.getCurrentContext()) config.setCurrentContext(next.getCurrentContext());
}

function errorMessage(error: unknown): string {
  return maskCredentials(error instanceof Error ? error.message : String(error)).replace(/\.$/, "");
}
