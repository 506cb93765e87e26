import { rename, rm, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { UserError } from "../errors.js";
import type { CollectedState } from "./types.js";

const gzipAsync = promisify(gzip);

/** A private key block that ended up in an object, for example a key pasted into a ConfigMap. */
const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
export const REDACTED_PRIVATE_KEY = "[private key removed by meshproof]";

export interface SnapshotWriteResult {
  file: string;
  /** Size of the gzipped file. */
  bytes: number;
  /** Secret objects removed here. The collectors drop Secrets already, so this is normally 0. */
  secretsDropped: number;
  privateKeysRemoved: number;
}

/**
 * Build the snapshot document from the fields of CollectedState only, so nothing else a caller
 * attached (a kubeconfig, a token) can reach the file, and drop any Secret object. Env entries that
 * reference a Secret through `valueFrom.secretKeyRef` stay references, because their values were
 * never read.
 */
export function snapshotDocument(state: CollectedState): { document: CollectedState; secretsDropped: number } {
  const objects = state.objects.filter((object) => object.kind !== "Secret");
  const secretsDropped = state.objects.length - objects.length;
  const document: CollectedState = {
    format: state.format,
    source: { type: state.source.type, description: state.source.description },
    ...(state.capturedAt !== undefined ? { capturedAt: state.capturedAt } : {}),
    ...(state.capturedAtSource !== undefined ? { capturedAtSource: state.capturedAtSource } : {}),
    ...(state.kubernetesVersion !== undefined ? { kubernetesVersion: state.kubernetesVersion } : {}),
    live: state.live,
    objects,
    evidence: state.evidence,
    collectionIssues: state.collectionIssues,
    input: { ...state.input, secretsDropped: state.input.secretsDropped + secretsDropped },
  };
  return { document, secretsDropped };
}

/**
 * Write `state` as gzipped JSON to `file`, through a temporary file and a rename so a failed write
 * never leaves half a snapshot. The file is created with mode 0600 because objects such as ConfigMaps
 * and pod env values can hold sensitive configuration.
 */
export async function writeSnapshot(state: CollectedState, file: string): Promise<SnapshotWriteResult> {
  const { document, secretsDropped } = snapshotDocument(state);
  let privateKeysRemoved = 0;
  const json = JSON.stringify(document).replace(PRIVATE_KEY_BLOCK, () => {
    privateKeysRemoved += 1;
    return REDACTED_PRIVATE_KEY;
  });
  const compressed = await gzipAsync(Buffer.from(json, "utf8"));

  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, compressed, { mode: 0o600 });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserError(`cannot write the snapshot to ${file}: ${reason}`);
  }
  return { file, bytes: compressed.length, secretsDropped, privateKeysRemoved };
}
