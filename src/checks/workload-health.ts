import type { CheckDefinition } from "./types.js";

export const workloadHealthChecks: CheckDefinition[] = [];
