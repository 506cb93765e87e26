// Module loader hooks for record-imports.mjs. They run on the loader thread, which shares the
// process environment, so the log file comes from MESHPROOF_IMPORT_LOG there too.
import { appendFileSync } from "node:fs";

const logFile = process.env.MESHPROOF_IMPORT_LOG;

export async function load(url, context, nextLoad) {
  if (logFile) appendFileSync(logFile, `${url}\n`);
  return nextLoad(url, context);
}
