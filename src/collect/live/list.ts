import type * as k8s from "@kubernetes/client-node";
import type { KubeObject } from "../../model/kube.js";
import { type CollectedKind, resourceName } from "../kinds.js";
import type { CollectionIssue } from "../types.js";
import { type KubernetesClientModule, requestOptions } from "./client.js";
import { formatSeconds, RequestFailure, type RetryPolicy, withRetry } from "./failures.js";

/**
 * Listing of one kind at cluster scope, page by page, trying the kind's API versions in order. It
 * sends one list per kind, never one request per object.
 */

export interface ListSettings {
  client: KubernetesClientModule;
  api: k8s.CustomObjectsApi;
  timeoutMs: number;
  /** Objects per page (`limit`). @default 500 */
  pageSize: number;
  retry: RetryPolicy;
}

export interface KindListing {
  kind: CollectedKind;
  objects: KubeObject[];
  /** The API version the objects came from, when one was served. */
  version?: string;
  issue?: CollectionIssue;
}

interface RawList {
  metadata?: { continue?: string };
  items?: Array<Record<string, unknown>>;
}

function apiVersionOf(kind: CollectedKind, version: string): string {
  return kind.group === "" ? version : `${kind.group}/${version}`;
}

/** Restore apiVersion and kind, which list items of built-in kinds omit, so each object is complete alone. */
function withTypeMeta(item: Record<string, unknown>, kind: CollectedKind, version: string): KubeObject {
  return { ...item, apiVersion: apiVersionOf(kind, version), kind: kind.kind } as KubeObject;
}

async function listAllPages(settings: ListSettings, kind: CollectedKind, version: string): Promise<KubeObject[]> {
  const options = requestOptions(settings.client, settings.timeoutMs, kind.group === "");
  const objects: KubeObject[] = [];
  let continueToken: string | undefined;
  let restarted = false;

  do {
    const token = continueToken;
    let page: RawList;
    try {
      const outcome = await withRetry(
        () =>
          settings.api.listClusterCustomObject(
            {
              group: kind.group,
              version,
              plural: kind.plural,
              limit: settings.pageSize,
              _continue: token,
              labelSelector: kind.labelSelector,
            },
            options,
          ) as Promise<RawList>,
        settings.retry,
      );
      page = outcome.value;
    } catch (error) {
      // 410 Gone: the continue token expired between pages. Start the list again once, so the
      // result is one consistent snapshot rather than pages from two points in time.
      if (error instanceof RequestFailure && error.status === 410 && token !== undefined && !restarted) {
        restarted = true;
        objects.length = 0;
        continueToken = undefined;
        continue;
      }
      throw error;
    }

    for (const item of page.items ?? []) objects.push(withTypeMeta(item, kind, version));
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken !== undefined);

  return objects;
}

function listFailureMessage(resource: string, error: RequestFailure, timeoutMs: number): string {
  if (error.reason !== "timeout") return `cannot list ${resource}: ${error.message}`;
  // A timeout is not retried, so more than one attempt means the earlier ones failed in another way.
  const attempt = error.attempts > 1 ? ` on attempt ${error.attempts}` : "";
  const limit = formatSeconds(timeoutMs);
  return `list ${resource} timed out after ${limit}${attempt}. Raise --request-timeout SECONDS if the API server is slow.`;
}

/**
 * List every object of `kind`. A 404 moves on to the next version. Every other failure, and a 404
 * on all versions, becomes a CollectionIssue instead of an exception.
 */
export async function listKind(settings: ListSettings, kind: CollectedKind): Promise<KindListing> {
  const resource = resourceName(kind);
  const permission = `list ${resource}`;

  for (const version of kind.versions) {
    try {
      return { kind, version, objects: await listAllPages(settings, kind, version) };
    } catch (error) {
      if (!(error instanceof RequestFailure)) throw error;
      if (error.status === 404) continue;
      return {
        kind,
        objects: [],
        issue: {
          resource,
          reason: error.reason,
          message: listFailureMessage(resource, error, settings.timeoutMs),
          ...(error.status === 403 ? { permission } : {}),
        },
      };
    }
  }

  const versions = kind.versions.map((version) => apiVersionOf(kind, version)).join(", ");
  const hint = kind.optional ? " (its CRD is probably not installed)" : "";
  return {
    kind,
    objects: [],
    issue: {
      resource,
      reason: "not-found",
      message: `the API server serves ${resource} in none of ${versions}${hint}`,
    },
  };
}
