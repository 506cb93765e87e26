import { constants as bufferConstants } from "node:buffer";
import type { Dirent } from "node:fs";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { InputError, UserError } from "../../errors.js";

const gunzipAsync = promisify(gunzip);

/** File name endings read from a snapshot folder; other files, such as logs.txt of a cluster-info dump, are ignored. */
const SNAPSHOT_FILE_ENDINGS = [".yaml", ".yml", ".json", ".json.gz", ".yaml.gz", ".yml.gz"];

/** The largest string V8 can build; a file that decodes to more characters cannot be parsed in one piece. */
const MAX_TEXT_LENGTH = bufferConstants.MAX_STRING_LENGTH;

export interface InputFile {
  absolutePath: string;
  /** Path relative to the folder given by the user, with `/` separators; the base name for a single file. */
  relativePath: string;
  /** Path as the user can open it, used in error messages. */
  displayPath: string;
}

export interface InputFileText {
  text: string;
  /** True when the file started with the gzip magic bytes and was decompressed. */
  gzipped: boolean;
}

export function isSnapshotFileName(name: string): boolean {
  const lower = name.toLowerCase();
  return SNAPSHOT_FILE_ENDINGS.some((ending) => lower.endsWith(ending));
}

/**
 * Lists the snapshot files in a folder and its subfolders, sorted by relative path so that the
 * later copy of a duplicate object is the same on every platform. Symbolic links are followed,
 * and a folder reached twice through links is read once.
 */
export async function listSnapshotFiles(folder: string): Promise<InputFile[]> {
  const files: InputFile[] = [];
  const visitedFolders = new Set<string>();

  const walk = async (absoluteFolder: string, relativeFolder: string): Promise<void> => {
    const realFolder = await realpath(absoluteFolder);
    if (visitedFolders.has(realFolder)) {
      return;
    }
    visitedFolders.add(realFolder);

    let entries: Dirent[];
    try {
      entries = await readdir(absoluteFolder, { withFileTypes: true });
    } catch (error) {
      throw fileSystemError(path.join(folder, relativeFolder), error);
    }

    for (const entry of entries) {
      const absolutePath = path.join(absoluteFolder, entry.name);
      const relativePath = relativeFolder === "" ? entry.name : `${relativeFolder}/${entry.name}`;
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(absolutePath).catch(() => undefined);
        isDirectory = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }

      if (isDirectory) {
        await walk(absolutePath, relativePath);
      } else if (isFile && isSnapshotFileName(entry.name)) {
        files.push({ absolutePath, relativePath, displayPath: path.join(folder, relativePath) });
      }
    }
  };

  await walk(folder, "");
  files.sort((a, b) => compareCodeUnits(a.relativePath, b.relativePath));
  return files;
}

/** Orders strings by UTF-16 code units, like Array.prototype.sort, and unlike localeCompare independent of the user's locale. */
function compareCodeUnits(a: string, b: string): number {
  if (a < b) {
    return -1;
  }
  return a > b ? 1 : 0;
}

/**
 * Reads a file as text: decompresses gzip data (detected by its magic bytes, whatever the name),
 * strips a UTF-8 byte order mark and decodes UTF-16 files, which Windows PowerShell 5 writes
 * when output is redirected with `>`.
 */
export async function readInputFileText(file: InputFile): Promise<InputFileText> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file.absolutePath);
  } catch (error) {
    throw fileSystemError(file.displayPath, error);
  }

  const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (gzipped) {
    bytes = await gunzipFile(file, bytes);
  }
  return { text: decodeText(file, bytes), gzipped };
}

async function gunzipFile(file: InputFile, compressed: Buffer): Promise<Buffer> {
  try {
    return await gunzipAsync(compressed, { maxOutputLength: MAX_TEXT_LENGTH });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      throw tooLargeError(file.displayPath);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(
      file.displayPath,
      `invalid gzip data: ${reason}. Write the file again or remove it from the snapshot folder.`,
    );
  }
}

function decodeText(file: InputFile, bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return checkedToString(file, bytes.subarray(2), "utf16le");
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2));
    swapped.subarray(0, swapped.length - (swapped.length % 2)).swap16();
    return checkedToString(file, swapped, "utf16le");
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return checkedToString(file, bytes.subarray(3), "utf8");
  }
  return checkedToString(file, bytes, "utf8");
}

function checkedToString(file: InputFile, bytes: Buffer, encoding: "utf8" | "utf16le"): string {
  // UTF-8 never decodes to more characters than bytes, and UTF-16 to half as many.
  const maxCharacters = encoding === "utf8" ? bytes.length : bytes.length / 2;
  if (maxCharacters > MAX_TEXT_LENGTH) {
    throw tooLargeError(file.displayPath);
  }
  return bytes.toString(encoding);
}

function tooLargeError(displayPath: string): UserError {
  const limitMiB = Math.floor(MAX_TEXT_LENGTH / 2 ** 20);
  return new InputError(
    displayPath,
    `the file is too large to read: meshproof reads files of up to ${limitMiB} MiB (after decompression). Split the objects into several files in one folder and pass the folder.`,
  );
}

/** Turns a file system error into a UserError that names the path; the caller handles a missing top-level path. */
export function fileSystemError(displayPath: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM") {
    return new UserError(`cannot read ${displayPath}: permission denied. Make the file readable or pass another path.`);
  }
  if (code === "ENOENT") {
    return new UserError(`cannot read ${displayPath}: the file was removed while the snapshot was read. Run again.`);
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new UserError(`cannot read ${displayPath}: ${reason}.`);
}
