import { InputError } from "../../errors.js";
import type { KubeObject } from "../../model/kube.js";
import { isRecord } from "./documents.js";

export const CAPTURE_INFO_API_VERSION = "meshproof.dev/v1alpha1";
export const CAPTURE_INFO_KIND = "CaptureInfo";

/** Contents of a `CaptureInfo` document: when and where a snapshot was taken. It is not a cluster object. */
export interface CaptureInfo {
  capturedAt: string;
  cluster?: string;
  /** Server version in gitVersion form, such as `v1.30.2`. */
  kubernetesVersion?: string;
}

/** RFC 3339 time with an explicit offset, as Kubernetes writes timestamps. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
const KUBERNETES_VERSION = /^v?\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.+-]*)?$/;

export function isCaptureInfo(document: Record<string, unknown>): boolean {
  return document.kind === CAPTURE_INFO_KIND && document.apiVersion === CAPTURE_INFO_API_VERSION;
}

export function isIsoTime(value: unknown): value is string {
  return typeof value === "string" && ISO_TIME.test(value) && Number.isFinite(Date.parse(value));
}

/** Validates a CaptureInfo document; the error names the file, line and field. */
export function parseCaptureInfo(document: Record<string, unknown>, displayPath: string, line?: number): CaptureInfo {
  const fail = (problem: string): never => {
    throw new InputError(displayPath, `CaptureInfo ${problem}`, { line });
  };

  const { capturedAt, cluster, kubernetesVersion } = document;
  if (!isIsoTime(capturedAt)) {
    const found = capturedAt === undefined ? "it is missing" : `found ${JSON.stringify(capturedAt)}`;
    fail(`capturedAt: expected an ISO time with an offset, such as 2026-06-28T10:00:00Z, but ${found}.`);
  }
  if (cluster !== undefined && typeof cluster !== "string") {
    fail("cluster: expected a string with the cluster name.");
  }
  if (
    kubernetesVersion !== undefined &&
    (typeof kubernetesVersion !== "string" || !KUBERNETES_VERSION.test(kubernetesVersion))
  ) {
    fail(`kubernetesVersion: expected a version such as v1.30.2, but found ${JSON.stringify(kubernetesVersion)}.`);
  }

  const info: CaptureInfo = { capturedAt: capturedAt as string };
  if (typeof cluster === "string") {
    info.cluster = cluster;
  }
  if (typeof kubernetesVersion === "string") {
    info.kubernetesVersion = kubernetesVersion.startsWith("v") ? kubernetesVersion : `v${kubernetesVersion}`;
  }
  return info;
}

/**
 * Returns the newest timestamp recorded in the objects, the best estimate of when a snapshot
 * without a CaptureInfo was taken, or undefined when the objects record none. It reads creation,
 * managedFields, condition, pod start, container state and Event times, because each of these is
 * written by the cluster when something happens. Deletion times are left out, because they can
 * lie in the future.
 */
export function newestObjectTimestamp(objects: readonly KubeObject[]): string | undefined {
  const newest = new NewestTime();
  for (const object of objects) {
    newest.consider(object.metadata.creationTimestamp);
    if (Array.isArray(object.metadata.managedFields)) {
      for (const entry of object.metadata.managedFields) {
        newest.consider(entry?.time);
      }
    }
    if (object.kind === "Event") {
      considerEventTimes(newest, object);
    }
    if (isRecord(object.status)) {
      considerStatusTimes(newest, object.status);
    }
  }
  return newest.value;
}

function considerStatusTimes(newest: NewestTime, status: Record<string, unknown>): void {
  newest.consider(status.startTime);
  if (Array.isArray(status.conditions)) {
    for (const condition of status.conditions) {
      if (isRecord(condition)) {
        newest.consider(condition.lastTransitionTime);
        newest.consider(condition.lastUpdateTime);
        newest.consider(condition.lastProbeTime);
        newest.consider(condition.lastHeartbeatTime);
      }
    }
  }
  for (const field of ["containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"]) {
    const statuses = status[field];
    if (!Array.isArray(statuses)) {
      continue;
    }
    for (const containerStatus of statuses) {
      if (isRecord(containerStatus)) {
        considerContainerState(newest, containerStatus.state);
        considerContainerState(newest, containerStatus.lastState);
      }
    }
  }
}

function considerContainerState(newest: NewestTime, state: unknown): void {
  if (!isRecord(state)) {
    return;
  }
  if (isRecord(state.running)) {
    newest.consider(state.running.startedAt);
  }
  if (isRecord(state.terminated)) {
    newest.consider(state.terminated.startedAt);
    newest.consider(state.terminated.finishedAt);
  }
}

function considerEventTimes(newest: NewestTime, event: KubeObject): void {
  newest.consider(event.firstTimestamp);
  newest.consider(event.lastTimestamp);
  newest.consider(event.eventTime);
  if (isRecord(event.series)) {
    newest.consider(event.series.lastObservedTime);
  }
}

/** Running maximum over timestamp strings; values that are not valid times are ignored. */
class NewestTime {
  value: string | undefined;
  private newestMs = Number.NEGATIVE_INFINITY;

  consider(candidate: unknown): void {
    if (typeof candidate !== "string" || candidate === "") {
      return;
    }
    // Equal strings parse to equal times, so the common case of repeated values skips the parse.
    if (candidate === this.value) {
      return;
    }
    const ms = Date.parse(candidate);
    if (ms > this.newestMs) {
      this.newestMs = ms;
      this.value = candidate;
    }
  }
}
