import type { CheckDefinition } from "./types.js";

export const injectionChecks: CheckDefinition[] = [];
