import { writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { UserError } from "../errors.js";

/** Explains a failed write in the user's terms: which file, why, and what to do. */
export function writeFailure(file: string, option: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? `folder ${dirname(file)} does not exist`
      : code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "EISDIR"
          ? "it is a folder"
          : (error as Error).message;
  return new UserError(`cannot write ${option} ${file}: ${reason}. Choose a writable path.`);
}

/** Writes a report file named by an option, turning file-system errors into a usage error (exit 2). */
export async function writeOutputFile(file: string, content: string, option: string): Promise<void> {
  try {
    await writeFile(file, content);
  } catch (error) {
    throw writeFailure(file, option, error);
  }
}
