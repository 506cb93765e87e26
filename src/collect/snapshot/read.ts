import type { Stats } from "node:fs";
import { stat } from "node:fs/promises";
import * as path from "node:path";
import { UserError } from "../../errors.js";
import { plural } from "../../text.js";
import { redactState } from "../redact-objects.js";
import { type CollectedState, SNAPSHOT_FORMAT } from "../types.js";
import { newestObjectTimestamp } from "./capture-time.js";
import { type ParsedDocument, parseDocuments } from "./documents.js";
import { fileSystemError, type InputFile, listSnapshotFiles, readInputFileText } from "./input-files.js";
import { readJsonObjectFile } from "./json-pieces.js";
import { kubeletVersionOf } from "./kubernetes-version.js";
import { ObjectCollector } from "./object-collector.js";

const ACCEPTED_INPUT_HINT =
  "Pass a file or folder written by kubectl get -o yaml, kubectl cluster-info dump or meshproof snapshot.";

/**
 * Reads a snapshot: one YAML, JSON or gzipped meshproof snapshot file, or a folder of them read
 * recursively in sorted order, such as a `kubectl cluster-info dump --output-directory` folder.
 * Secrets are dropped and only counted. Throws a UserError (exit code 2) that names the file and
 * place for unreadable or malformed input, and when the input contains no Kubernetes objects.
 */
export async function readSnapshot(inputPath: string): Promise<CollectedState> {
  const stats = await statInput(inputPath);
  const isFolder = stats.isDirectory();
  const files = isFolder ? await listSnapshotFiles(inputPath) : [singleFile(inputPath)];
  if (files.length === 0) {
    throw new UserError(
      `snapshot folder ${inputPath} contains no .yaml, .yml, .json or .json.gz files. ${ACCEPTED_INPUT_HINT}`,
    );
  }

  const collector = new ObjectCollector();
  let snapshotFiles = 0;
  for (const file of files) {
    const documents = await readDocuments(file);
    collector.files.push(file.relativePath);

    const snapshotDocumentsBefore = collector.snapshotDocuments;
    for (const document of documents) {
      collector.addDocument(document.value, {
        file: file.relativePath,
        displayPath: file.displayPath,
        line: document.line,
      });
    }
    if (collector.snapshotDocuments > snapshotDocumentsBefore) {
      snapshotFiles++;
    }
  }

  // A meshproof snapshot with no objects is valid: its collection issues explain why nothing was read.
  if (collector.objects.length === 0 && collector.snapshotDocuments === 0) {
    throw noObjectsError(inputPath, isFolder, collector);
  }
  return redactState(buildState(inputPath, snapshotFiles === files.length, collector));
}

/**
 * Parses one file. A `.json` or `.json.gz` file whose text is one JSON object is scanned in
 * chunks, so its text is never held as one string; anything else, and any file that scan does not
 * accept, takes the general path, which reports errors with their place.
 */
async function readDocuments(file: InputFile): Promise<ParsedDocument[]> {
  if (/\.json(\.gz)?$/i.test(file.relativePath)) {
    const parsed = await readJsonObjectFile(file.absolutePath);
    if (parsed !== undefined) {
      return [{ value: parsed.value, line: parsed.line }];
    }
  }
  const { text } = await readInputFileText(file);
  return parseDocuments(text, file.relativePath, file.displayPath);
}

async function statInput(inputPath: string): Promise<Stats> {
  let stats: Stats;
  try {
    stats = await stat(inputPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new UserError(`snapshot path not found: ${inputPath}. ${ACCEPTED_INPUT_HINT}`);
    }
    throw fileSystemError(inputPath, error);
  }
  if (!stats.isDirectory() && !stats.isFile()) {
    throw new UserError(`snapshot path ${inputPath} is neither a file nor a folder. ${ACCEPTED_INPUT_HINT}`);
  }
  return stats;
}

function singleFile(inputPath: string): InputFile {
  return { absolutePath: path.resolve(inputPath), relativePath: path.basename(inputPath), displayPath: inputPath };
}

function noObjectsError(inputPath: string, isFolder: boolean, collector: ObjectCollector): UserError {
  const counts: string[] = [];
  if (isFolder) {
    counts.push(`read ${plural(collector.files.length, "file")}`);
  }
  if (collector.skippedDocuments.length > 0) {
    counts.push(`skipped ${plural(collector.skippedDocuments.length, "document")}`);
  }
  if (collector.secretsDropped > 0) {
    counts.push(`dropped ${plural(collector.secretsDropped, "Secret")}`);
  }

  const inputLabel = isFolder ? `snapshot folder ${inputPath}` : inputPath;
  let message = `no Kubernetes objects found in ${inputLabel}`;
  if (counts.length > 0) {
    const last = counts.pop()!;
    message += `: ${counts.length === 0 ? last : `${counts.join(", ")} and ${last}`}`;
  }
  message += ".";
  const first = collector.skippedDocuments[0];
  if (first !== undefined) {
    const where = first.line === undefined ? first.file : `${first.file}:${first.line}`;
    message += ` First skipped: ${where} (${first.reason}).`;
  }
  return new UserError(`${message} ${ACCEPTED_INPUT_HINT}`);
}

function buildState(inputPath: string, onlySnapshots: boolean, collector: ObjectCollector): CollectedState {
  const warnings = collector.allWarnings();
  const captureTime = captureTimeOf(collector);
  const kubernetesVersion = kubernetesVersionOf(collector, warnings);
  return {
    format: SNAPSHOT_FORMAT,
    source: { type: onlySnapshots ? "snapshot" : "files", description: inputPath },
    ...captureTime,
    ...(kubernetesVersion === undefined ? {} : { kubernetesVersion }),
    live: collector.live,
    objects: collector.objects,
    evidence: collector.evidence,
    collectionIssues: collector.collectionIssues,
    input: {
      files: collector.files,
      objectsByKind: collector.objectsByKind(),
      secretsDropped: collector.secretsDropped,
      skippedDocuments: collector.skippedDocuments,
      duplicates: collector.duplicates,
      warnings,
    },
  };
}

/** Capture time from a CaptureInfo document, else from a meshproof snapshot, else the newest object timestamp. */
function captureTimeOf(collector: ObjectCollector): Pick<CollectedState, "capturedAt" | "capturedAtSource"> {
  // NOTE: CaptureInfo's optional `cluster` field is validated but not returned, because
  // CollectedState has no field for the cluster name.
  const captureInfo = collector.captureInfo?.info;
  if (captureInfo !== undefined) {
    return { capturedAt: captureInfo.capturedAt, capturedAtSource: "snapshot-file" };
  }
  if (collector.snapshotCapture !== undefined) {
    return { capturedAt: collector.snapshotCapture.capturedAt, capturedAtSource: collector.snapshotCapture.source };
  }
  const newest = newestObjectTimestamp(collector.objects);
  return newest === undefined ? {} : { capturedAt: newest, capturedAtSource: "newest-object-timestamp" };
}

/**
 * Kubernetes version from a CaptureInfo document, else from a meshproof snapshot, else the lowest
 * kubelet version of the Node objects. Adds a warning to `warnings` when node versions differ.
 */
function kubernetesVersionOf(collector: ObjectCollector, warnings: string[]): CollectedState["kubernetesVersion"] {
  const recorded = collector.captureInfo?.info.kubernetesVersion;
  if (recorded !== undefined) {
    // The capture tool records the API server's /version, which is what "version-endpoint" means.
    return { gitVersion: recorded, source: "version-endpoint" };
  }
  if (collector.snapshotKubernetesVersion !== undefined) {
    return collector.snapshotKubernetesVersion;
  }
  const kubelet = kubeletVersionOf(collector.objects);
  if (kubelet === undefined) {
    return undefined;
  }
  if (kubelet.warning !== undefined) {
    warnings.push(kubelet.warning);
  }
  return { gitVersion: kubelet.gitVersion, source: "node-kubelet" };
}
