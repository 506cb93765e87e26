import { ExitCode, UserError } from "../../errors.js";
import type { KubeObject } from "../../model/kube.js";
import type { RolloutPlan } from "../../plan/schema.js";
import { COLLECTED_KINDS, resourceName } from "../kinds.js";
import { redactState } from "../redact-objects.js";
import {
  type CollectedState,
  type CollectionIssue,
  emptyInputReport,
  type LiveEvidence,
  SNAPSHOT_FORMAT,
  type SpireCliEvidence,
} from "../types.js";
import { type KubernetesClientModule, loadKubernetesClient, requestOptions } from "./client.js";
import { mapWithConcurrency } from "./concurrency.js";
import { collectServedCertificate, selectCertificateTargets } from "./envoy-certs.js";
import { runSpireServerCommand, SPIRE_SERVER_COMMANDS, spireServerCommandLine } from "./exec.js";
import { DEFAULT_RETRY_POLICY, formatSeconds, RequestFailure, type RetryPolicy, withRetry } from "./failures.js";
import { collectIstiodMesh } from "./istiod.js";
import { type ClusterTarget, type KubeconfigOptions, loadClusterTarget } from "./kubeconfig.js";
import { type KindListing, listKind } from "./list.js";
import { runProbe } from "./probes.js";

export type LiveStep = "version" | "list" | "probes" | "spire" | "istiod" | "certs";

export interface LiveProgressEvent {
  step: LiveStep;
  state: "start" | "done";
  /** For example the resource listed, or how many items a step produced. */
  detail?: string;
}

export interface LiveCollectOptions extends KubeconfigOptions {
  /** Timeout of each API request and each port-forwarded GET, in milliseconds. @default 15000 */
  requestTimeoutMs?: number;
  /** Timeout of each exec into the SPIRE server, in milliseconds. @default 30000 */
  execTimeoutMs?: number;
  /** The rollout plan: probes to run and where SPIRE and istiod live. Without it, only istiod and certificates are read. */
  plan?: RolloutPlan;
  /** Requests in flight at once, for lists and for certificate reads each. @default 4 */
  concurrency?: number;
  /** Objects per list page (`limit`). @default 500 */
  pageSize?: number;
  /** Retries of API requests on 429, 5xx and dropped connections. @default 4 attempts, 500 ms doubling */
  retry?: Partial<RetryPolicy>;
  /** Pause between probe attempts on network errors, in milliseconds. @default 250 */
  probeRetryDelayMs?: number;
  /** Clock for evidence times and capturedAt, which tests pin. @default () => new Date() */
  clock?: () => Date;
  onProgress?: (event: LiveProgressEvent) => void;
}

interface LiveContext {
  client: KubernetesClientModule;
  target: ClusterTarget;
  requestTimeoutMs: number;
  execTimeoutMs: number;
  concurrency: number;
  retry: RetryPolicy;
  clock: () => Date;
  progress: (step: LiveStep, state: "start" | "done", detail?: string) => void;
}

const DEFAULT_ISTIO_NAMESPACE = "istio-system";

/**
 * Read a cluster: `/version`, every kind of COLLECTED_KINDS, then the live evidence (HTTP probes,
 * spire-server commands, istiod's effective mesh config and the certificates sidecars serve).
 * Read-only: list and get, exec of allowlisted commands and port-forwarded GETs of allowlisted
 * paths. Failures become collection issues or evidence errors and the run goes on. Only a server
 * that cannot be reached at all makes it throw, as a UserError with exit code 3.
 */
export async function collectLive(options: LiveCollectOptions = {}): Promise<CollectedState> {
  const client = await loadKubernetesClient();
  const target = loadClusterTarget(client, options);
  const context: LiveContext = {
    client,
    target,
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    execTimeoutMs: options.execTimeoutMs ?? 30_000,
    concurrency: Math.max(1, options.concurrency ?? 8),
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    clock: options.clock ?? (() => new Date()),
    progress: (step, state, detail) => options.onProgress?.({ step, state, ...(detail ? { detail } : {}) }),
  };
  const issues: CollectionIssue[] = [];

  context.progress("version", "start");
  const gitVersion = await readServerVersion(context, issues);
  context.progress("version", "done", gitVersion);

  const listings = await listAllKinds(context, options.pageSize ?? 500);
  const objects: KubeObject[] = [];
  let secretsDropped = 0;
  for (const listing of listings) {
    if (listing.issue) issues.push(listing.issue);
    for (const object of listing.objects) {
      // Secrets are not in COLLECTED_KINDS, so this only guards against a server that returns one anyway.
      if (object.kind === "Secret") secretsDropped += 1;
      else objects.push(object);
    }
  }
  const podsListed = listings.some((listing) => listing.kind.kind === "Pod" && listing.issue === undefined);

  const [probes, spire, istiod, certs] = await Promise.all([
    collectProbes(context, options),
    collectSpire(context, options.plan, objects, podsListed),
    collectIstiod(context, options.plan, objects),
    collectCertificates(context, objects),
  ]);
  const evidence: LiveEvidence[] = [...probes, ...spire, istiod, ...certs];

  const objectsByKind: Record<string, number> = {};
  for (const object of objects) objectsByKind[object.kind] = (objectsByKind[object.kind] ?? 0) + 1;

  return redactState({
    format: SNAPSHOT_FORMAT,
    source: { type: "live", description: `${target.context} (${target.server})` },
    capturedAt: context.clock().toISOString(),
    capturedAtSource: "live-clock",
    ...(gitVersion ? { kubernetesVersion: { gitVersion, source: "version-endpoint" as const } } : {}),
    live: true,
    objects,
    evidence,
    collectionIssues: issues,
    input: { ...emptyInputReport(), objectsByKind, secretsDropped },
  });
}

/**
 * Read the server's gitVersion with GET /version, the first request of a run. When it cannot connect
 * at all, or the credentials are rejected, nothing else can be read either, so it throws a UserError
 * with exit code 3.
 */
async function readServerVersion(context: LiveContext, issues: CollectionIssue[]): Promise<string | undefined> {
  const { client, target } = context;
  const api = target.config.makeApiClient(client.VersionApi);
  try {
    const outcome = await withRetry(
      () => api.getCode({}, requestOptions(client, context.requestTimeoutMs)),
      context.retry,
    );
    return outcome.value.gitVersion;
  } catch (error) {
    if (!(error instanceof RequestFailure)) throw error;
    const cannotConnect = ["unreachable", "timeout", "connection-dropped"].includes(error.reason);
    if (cannotConnect || error.status === 401) {
      throw new UserError(unreachableMessage(target, error, context.requestTimeoutMs), ExitCode.clusterUnreachable);
    }
    issues.push({
      resource: "/version",
      reason: error.reason,
      message: `cannot read the server version: ${error.message}`,
      ...(error.status === 403 ? { permission: "get /version" } : {}),
    });
    return undefined;
  }
}

/** Explain why nothing can be read from the cluster: the server, the failure, and what to check next. */
function unreachableMessage(target: ClusterTarget, error: RequestFailure, timeoutMs: number): string {
  const where = `cannot read the Kubernetes API server of context "${target.context}" at ${target.server}`;
  const check = target.inCluster
    ? "that the pod can reach the API server and that its service account token is valid"
    : `the context with "kubectl --context ${target.context} version"`;
  if (error.reason === "timeout") {
    const attempt = error.attempts > 1 ? ` on attempt ${error.attempts}` : "";
    return (
      `${where}: GET /version timed out after ${formatSeconds(timeoutMs)}${attempt}. ` +
      `Raise --request-timeout SECONDS if the API server is slow, or check ${check}.`
    );
  }
  return `${where}: ${error.message.replace(/\.$/, "")}. Check ${check}.`;
}

async function listAllKinds(context: LiveContext, pageSize: number): Promise<KindListing[]> {
  const settings = {
    client: context.client,
    api: context.target.config.makeApiClient(context.client.CustomObjectsApi),
    timeoutMs: context.requestTimeoutMs,
    pageSize,
    retry: context.retry,
  };
  return mapWithConcurrency(COLLECTED_KINDS, context.concurrency, async (kind) => {
    context.progress("list", "start", resourceName(kind));
    const listing = await listKind(settings, kind);
    context.progress(
      "list",
      "done",
      `${resourceName(kind)}: ${listing.issue ? listing.issue.reason : listing.objects.length}`,
    );
    return listing;
  });
}

async function collectProbes(context: LiveContext, options: LiveCollectOptions) {
  const probes = options.plan?.spec.probes ?? [];
  if (probes.length === 0) return [];
  context.progress("probes", "start", `${probes.length} probes`);
  const settings = { maxAttempts: 3, retryDelayMs: options.probeRetryDelayMs ?? 250, clock: context.clock };
  const evidence = await mapWithConcurrency(probes, context.concurrency, (probe) => runProbe(probe, settings));
  context.progress("probes", "done");
  return evidence;
}

function hasPod(objects: readonly KubeObject[], namespace: string, name: string): boolean {
  return objects.some(
    (object) => object.kind === "Pod" && object.metadata.namespace === namespace && object.metadata.name === name,
  );
}

async function collectSpire(
  context: LiveContext,
  plan: RolloutPlan | undefined,
  objects: readonly KubeObject[],
  podsListed: boolean,
): Promise<SpireCliEvidence[]> {
  const server = plan?.spec.spire?.server;
  if (!server) return [];
  // The SPIRE server runs as a StatefulSet, so its first replica is always `<name>-0`.
  const location = { namespace: server.namespace, pod: `${server.name}-0` };
  context.progress("spire", "start", `${location.namespace}/${location.pod}`);

  const evidence: SpireCliEvidence[] = [];
  for (const command of SPIRE_SERVER_COMMANDS) {
    if (podsListed && !hasPod(objects, location.namespace, location.pod)) {
      const at = context.clock().toISOString();
      evidence.push({
        type: "spire-cli",
        id: `spire:${command.id}`,
        command: spireServerCommandLine(location, command.args),
        output: "",
        at,
        durationMs: 0,
        attempts: 0,
        pod: location.pod,
        namespace: location.namespace,
        args: [...command.args],
        stdout: "",
        stderr: "",
        error: { reason: "not-found", message: `pod ${location.namespace}/${location.pod} does not exist` },
      });
      continue;
    }
    evidence.push(
      await runSpireServerCommand(
        context.client,
        context.target.config,
        location,
        command.args,
        context.execTimeoutMs,
        context.clock,
      ),
    );
  }
  context.progress("spire", "done");
  return evidence;
}

async function collectIstiod(context: LiveContext, plan: RolloutPlan | undefined, objects: readonly KubeObject[]) {
  const namespace = plan?.spec.istio.namespace ?? DEFAULT_ISTIO_NAMESPACE;
  context.progress("istiod", "start", namespace);
  const evidence = await collectIstiodMesh(
    context.client,
    context.target.config,
    namespace,
    objects,
    context.requestTimeoutMs,
    context.clock,
  );
  context.progress("istiod", "done", evidence.error?.reason ?? evidence.pod);
  return evidence;
}

async function collectCertificates(context: LiveContext, objects: readonly KubeObject[]) {
  const targets = selectCertificateTargets(objects);
  if (targets.length === 0) return [];
  context.progress("certs", "start", `${targets.length} workloads`);
  const evidence = await mapWithConcurrency(targets, context.concurrency, (target) =>
    collectServedCertificate(context.client, context.target.config, target, context.requestTimeoutMs, context.clock),
  );
  context.progress("certs", "done");
  return evidence;
}
