import type { CheckDefinition } from "./types.js";

export const controlPlaneChecks: CheckDefinition[] = [];
