import type { CheckDefinition } from "./types.js";

export const nativeSidecarChecks: CheckDefinition[] = [];
