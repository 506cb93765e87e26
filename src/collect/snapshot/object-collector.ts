import { apiGroup, type KubeObject, objectSubject } from "../../model/kube.js";
import type {
  CaptureTimeSource,
  CollectedState,
  CollectionIssue,
  DuplicateObject,
  LiveEvidence,
  SkippedDocument,
} from "../types.js";
import { type CaptureInfo, isCaptureInfo, parseCaptureInfo } from "./capture-time.js";
import { isRecord } from "./documents.js";
import { isKubeList, listItemDefaults } from "./lists.js";
import { isSnapshotDocument, parseSnapshotDocument } from "./snapshot-document.js";

/** Origin of a document in the input, for the input report and for errors. */
export interface DocumentPlace {
  /** Path relative to the folder given by the user. */
  file: string;
  /** Path the user can open, used in error messages. */
  displayPath: string;
  /** 1-based line of the document in the file. */
  line?: number;
}

/** Kind and apiVersion that a List passes to items that lack them. */
interface InheritedType {
  kind?: string;
  apiVersion?: string;
}

interface KeptObject {
  index: number;
  file: string;
}

/** Duplicates beyond this many are counted in one warning instead of one warning each. */
const MAX_DUPLICATE_WARNINGS = 10;

/**
 * Turns parsed documents into the snapshot's objects: flattens Lists, drops Secrets, records
 * documents that are not Kubernetes objects, keeps the later copy of an object given twice, and
 * takes capture facts from CaptureInfo and meshproof snapshot documents. Documents must be added
 * in file order, because "later" means later in that order.
 */
export class ObjectCollector {
  readonly objects: KubeObject[] = [];
  readonly files: string[] = [];
  secretsDropped = 0;
  readonly skippedDocuments: SkippedDocument[] = [];
  readonly duplicates: DuplicateObject[] = [];
  readonly warnings: string[] = [];

  live = false;
  readonly evidence: LiveEvidence[] = [];
  readonly collectionIssues: CollectionIssue[] = [];
  /** Number of meshproof snapshot documents read. */
  snapshotDocuments = 0;
  captureInfo?: { info: CaptureInfo; file: string };
  snapshotCapture?: { capturedAt: string; source: CaptureTimeSource };
  snapshotKubernetesVersion?: CollectedState["kubernetesVersion"];

  /**
   * Kept objects by API group, kind, namespace ("" when cluster-scoped) and name, the identity
   * objectKey describes; nested maps build no key string per object.
   */
  private readonly kept = new Map<string, Map<string, Map<string, Map<string, KeptObject>>>>();
  private readonly countsByKind = new Map<string, number>();
  private duplicatesFound = 0;
  private duplicatesNotWarned = 0;

  /** Adds one parsed document; null documents (empty, or comments only) are ignored. */
  addDocument(value: unknown, place: DocumentPlace): void {
    if (value === null || value === undefined) {
      return;
    }
    if (isRecord(value) && isSnapshotDocument(value)) {
      this.addSnapshotDocument(value, place);
      return;
    }
    if (Array.isArray(value)) {
      // A top-level sequence, such as jq's `[.items[]]`, is read as one document per element.
      value.forEach((element, index) => {
        this.addCandidate(element, place, `[${index}]`, {});
      });
      return;
    }
    this.addCandidate(value, place, undefined, {});
  }

  /** Returns object counts per kind, sorted by kind. */
  objectsByKind(): Record<string, number> {
    const kinds = [...this.countsByKind.keys()].sort();
    return Object.fromEntries(kinds.map((kind) => [kind, this.countsByKind.get(kind)!]));
  }

  /** Returns the warnings, with one summary line for duplicates that did not get their own warning. */
  allWarnings(): string[] {
    if (this.duplicatesNotWarned === 0) {
      return [...this.warnings];
    }
    const summary = `${this.duplicatesNotWarned} more objects are given more than once; the later copy of each is used (the input report lists them all).`;
    return [...this.warnings, summary];
  }

  private addCandidate(value: unknown, place: DocumentPlace, path: string | undefined, inherited: InheritedType): void {
    if (value === null || value === undefined) {
      return;
    }
    if (!isRecord(value)) {
      this.skip(place, path, `expected a Kubernetes object or List, found ${describeValue(value)}`);
      return;
    }

    const kind = nonEmptyString(value.kind) ?? inherited.kind;
    // Secrets are dropped before any other check, so no part of one is kept or reported.
    if (kind === "Secret") {
      this.secretsDropped++;
      return;
    }
    if (isKubeList(value)) {
      const itemType = listItemDefaults(value);
      value.items.forEach((item, index) => {
        this.addCandidate(item, place, joinPath(path, `items[${index}]`), itemType);
      });
      return;
    }
    if (isCaptureInfo(value)) {
      this.addCaptureInfo(value, place);
      return;
    }

    const apiVersion = nonEmptyString(value.apiVersion) ?? inherited.apiVersion;
    // meshproof's own input files describe intentions, not cluster state.
    if (apiVersion?.startsWith("meshproof.dev/") && (kind === "RolloutPlan" || kind === "WaiverList")) {
      const option = kind === "RolloutPlan" ? "--plan" : "--waivers";
      this.skip(place, path, `a ${kind} is not cluster state; pass it with ${option} instead`);
      return;
    }
    if (kind === undefined || apiVersion === undefined) {
      const missing = [apiVersion === undefined ? "apiVersion" : "", kind === undefined ? "kind" : ""];
      this.skip(place, path, `missing ${missing.filter(Boolean).join(" and ")}, so it is not a Kubernetes object`);
      return;
    }
    const metadata = value.metadata;
    if (!isRecord(metadata) || nonEmptyString(metadata.name) === undefined) {
      this.skip(place, path, `${kind} without metadata.name`);
      return;
    }
    if (metadata.namespace !== undefined && typeof metadata.namespace !== "string") {
      this.skip(place, path, `${kind} ${metadata.name}: metadata.namespace is not a string`);
      return;
    }

    // Items of a cluster-info dump List carry neither field; later readers rely on both.
    value.kind = kind;
    value.apiVersion = apiVersion;
    this.keep(value as KubeObject, place);
  }

  private keep(object: KubeObject, place: DocumentPlace): void {
    const sameType = childMap(childMap(this.kept, apiGroup(object.apiVersion)), object.kind);
    const sameNamespace = childMap(sameType, object.metadata.namespace ?? "");
    const previous = sameNamespace.get(object.metadata.name);
    if (previous === undefined) {
      sameNamespace.set(object.metadata.name, { index: this.objects.length, file: place.file });
      this.objects.push(object);
      this.countsByKind.set(object.kind, (this.countsByKind.get(object.kind) ?? 0) + 1);
      return;
    }

    const subject = objectSubject(object);
    this.objects[previous.index] = object;
    this.duplicates.push({ subject, firstFile: previous.file, keptFile: place.file });
    this.duplicatesFound++;
    if (this.duplicatesFound <= MAX_DUPLICATE_WARNINGS) {
      const where =
        previous.file === place.file
          ? `twice in ${place.file}; the later copy is used`
          : `in ${previous.file} and in ${place.file}; the copy in ${place.file} is used`;
      this.warnings.push(`${subject} is given more than once: ${where}.`);
    } else {
      this.duplicatesNotWarned++;
    }
    previous.file = place.file;
  }

  private addCaptureInfo(document: Record<string, unknown>, place: DocumentPlace): void {
    const info = parseCaptureInfo(document, place.displayPath, place.line);
    const previous = this.captureInfo;
    if (previous !== undefined && previous.info.capturedAt !== info.capturedAt) {
      this.warnings.push(
        `CaptureInfo documents disagree: ${previous.file} gives capturedAt ${previous.info.capturedAt} and ${place.file} gives ${info.capturedAt}; the later one, ${info.capturedAt}, is used.`,
      );
    }
    this.captureInfo = { info, file: place.file };
  }

  private addSnapshotDocument(document: Record<string, unknown>, place: DocumentPlace): void {
    const snapshot = parseSnapshotDocument(document, place.displayPath);
    this.snapshotDocuments++;
    this.live ||= snapshot.live;
    this.evidence.push(...snapshot.evidence);
    this.collectionIssues.push(...snapshot.collectionIssues);
    if (snapshot.capturedAt !== undefined) {
      this.snapshotCapture = { capturedAt: snapshot.capturedAt, source: snapshot.capturedAtSource ?? "snapshot-file" };
    }
    if (snapshot.kubernetesVersion !== undefined) {
      this.snapshotKubernetesVersion = snapshot.kubernetesVersion;
    }

    const recorded = snapshot.recordedInput;
    this.secretsDropped += recorded.secretsDropped;
    this.skippedDocuments.push(...recorded.skippedDocuments);
    this.duplicates.push(...recorded.duplicates);
    this.warnings.push(...recorded.warnings);

    snapshot.objects.forEach((object, index) => {
      this.addCandidate(object, place, `objects[${index}]`, {});
    });
  }

  private skip(place: DocumentPlace, path: string | undefined, reason: string): void {
    this.skippedDocuments.push({
      file: place.file,
      ...(place.line === undefined ? {} : { line: place.line }),
      reason: path === undefined ? reason : `${path}: ${reason}`,
    });
  }
}

/** Returns the map stored under `key`, creating an empty one when absent. */
function childMap<V>(parent: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let child = parent.get(key);
  if (child === undefined) {
    child = new Map();
    parent.set(key, child);
  }
  return child;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function joinPath(parent: string | undefined, child: string): string {
  return parent === undefined ? child : `${parent}.${child}`;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) {
    return "a list";
  }
  return typeof value === "string" ? "a string" : `a ${typeof value}`;
}
