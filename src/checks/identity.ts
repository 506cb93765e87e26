import type { CheckDefinition } from "./types.js";

export const identityChecks: CheckDefinition[] = [];
