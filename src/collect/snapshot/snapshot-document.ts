import { InputError } from "../../errors.js";
import {
  type CaptureTimeSource,
  type CollectedState,
  type CollectionIssue,
  type DuplicateObject,
  type LiveEvidence,
  type SkippedDocument,
  SNAPSHOT_FORMAT,
} from "../types.js";
import { isIsoTime } from "./capture-time.js";
import { isRecord } from "./documents.js";

/** Snapshot formats this reader accepts; a newer meshproof adds the next version here. */
export const SUPPORTED_SNAPSHOT_FORMATS: readonly string[] = [SNAPSHOT_FORMAT];

const CAPTURE_TIME_SOURCES: readonly CaptureTimeSource[] = [
  "snapshot-file",
  "newest-object-timestamp",
  "plan",
  "live-clock",
];
const VERSION_SOURCES = ["version-endpoint", "node-kubelet"] as const;

/**
 * A meshproof snapshot document after validation. Its objects are still unchecked: they go through
 * the same checks as objects from YAML files, so Secrets in them are dropped too.
 */
export interface SnapshotDocument {
  objects: unknown[];
  live: boolean;
  evidence: LiveEvidence[];
  collectionIssues: CollectionIssue[];
  capturedAt?: string;
  capturedAtSource?: CaptureTimeSource;
  kubernetesVersion?: CollectedState["kubernetesVersion"];
  /** Input report recorded by the reader that wrote the snapshot. */
  recordedInput: {
    secretsDropped: number;
    skippedDocuments: SkippedDocument[];
    duplicates: DuplicateObject[];
    warnings: string[];
  };
}

/** Returns whether a document claims to be a meshproof document: it has a `format` field and no `kind`. */
export function isSnapshotDocument(document: Record<string, unknown>): boolean {
  return typeof document.format === "string" && document.kind === undefined;
}

/** Validates a snapshot document written by `meshproof snapshot`; the error names the file and field. */
export function parseSnapshotDocument(document: Record<string, unknown>, displayPath: string): SnapshotDocument {
  const fail = (problem: string): never => {
    throw new InputError(
      displayPath,
      `invalid meshproof snapshot: ${problem} Write the snapshot again with meshproof snapshot.`,
    );
  };

  const format = document.format as string;
  if (!SUPPORTED_SNAPSHOT_FORMATS.includes(format)) {
    throw new InputError(
      displayPath,
      `unsupported snapshot format ${JSON.stringify(format)}: this meshproof reads ${SUPPORTED_SNAPSHOT_FORMATS.join(", ")}. Use the meshproof version that wrote the snapshot, or write it again with this version.`,
    );
  }

  if (!Array.isArray(document.objects)) {
    fail('"objects" must be an array of Kubernetes objects.');
  }
  if (document.live !== undefined && typeof document.live !== "boolean") {
    fail('"live" must be true or false.');
  }

  const evidence = optionalArray(document.evidence, '"evidence"', fail);
  evidence.forEach((item, index) => {
    if (!isRecord(item) || typeof item.type !== "string" || typeof item.id !== "string") {
      fail(`"evidence[${index}]" must be an object with string fields "type" and "id".`);
    }
  });
  const collectionIssues = optionalArray(document.collectionIssues, '"collectionIssues"', fail);
  collectionIssues.forEach((item, index) => {
    if (!isRecord(item) || !["resource", "reason", "message"].every((field) => typeof item[field] === "string")) {
      fail(`"collectionIssues[${index}]" must be an object with string fields "resource", "reason" and "message".`);
    }
  });

  const parsed: SnapshotDocument = {
    objects: document.objects as unknown[],
    live: document.live === true,
    evidence: evidence as LiveEvidence[],
    collectionIssues: collectionIssues as CollectionIssue[],
    recordedInput: recordedInputOf(document.input),
  };

  if (document.capturedAt !== undefined) {
    if (!isIsoTime(document.capturedAt)) {
      fail('"capturedAt" must be an ISO time with an offset, such as 2026-06-28T10:00:00Z.');
    }
    parsed.capturedAt = document.capturedAt as string;
    parsed.capturedAtSource = "snapshot-file";
    if (document.capturedAtSource !== undefined) {
      if (!CAPTURE_TIME_SOURCES.includes(document.capturedAtSource as CaptureTimeSource)) {
        fail(`"capturedAtSource" must be one of ${CAPTURE_TIME_SOURCES.join(", ")}.`);
      }
      parsed.capturedAtSource = document.capturedAtSource as CaptureTimeSource;
    }
  }

  if (document.kubernetesVersion !== undefined) {
    const version = document.kubernetesVersion;
    if (
      !isRecord(version) ||
      typeof version.gitVersion !== "string" ||
      !VERSION_SOURCES.includes(version.source as (typeof VERSION_SOURCES)[number])
    ) {
      fail(`"kubernetesVersion" must have a string "gitVersion" and a "source" of ${VERSION_SOURCES.join(" or ")}.`);
    }
    parsed.kubernetesVersion = version as CollectedState["kubernetesVersion"];
  }
  return parsed;
}

function optionalArray(value: unknown, field: string, fail: (problem: string) => never): unknown[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value)) {
    fail(`${field} must be an array.`);
  }
  return value as unknown[];
}

/** Keeps the parts of a recorded input report that have the expected shape; the report is informational only. */
function recordedInputOf(input: unknown): SnapshotDocument["recordedInput"] {
  const recorded: SnapshotDocument["recordedInput"] = {
    secretsDropped: 0,
    skippedDocuments: [],
    duplicates: [],
    warnings: [],
  };
  if (!isRecord(input)) {
    return recorded;
  }
  if (typeof input.secretsDropped === "number" && Number.isInteger(input.secretsDropped) && input.secretsDropped > 0) {
    recorded.secretsDropped = input.secretsDropped;
  }
  if (Array.isArray(input.skippedDocuments)) {
    recorded.skippedDocuments = input.skippedDocuments.filter(
      (item): item is SkippedDocument =>
        isRecord(item) && typeof item.file === "string" && typeof item.reason === "string",
    );
  }
  if (Array.isArray(input.duplicates)) {
    recorded.duplicates = input.duplicates.filter(
      (item): item is DuplicateObject =>
        isRecord(item) &&
        typeof item.subject === "string" &&
        typeof item.firstFile === "string" &&
        typeof item.keptFile === "string",
    );
  }
  if (Array.isArray(input.warnings)) {
    recorded.warnings = input.warnings.filter((item): item is string => typeof item === "string");
  }
  return recorded;
}
