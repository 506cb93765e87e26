import type { CheckDefinition } from "./types.js";

export const spireChecks: CheckDefinition[] = [];
