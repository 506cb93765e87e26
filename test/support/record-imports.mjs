// Preload for `node --import`: records the URL of every module the process loads, one per line, in
// the file named by MESHPROOF_IMPORT_LOG. Tests use it to prove which modules a command loads.
import { register } from "node:module";

register("./record-imports-hooks.mjs", import.meta.url);
