import type { CheckDefinition } from "./types.js";

export const externalServiceChecks: CheckDefinition[] = [];
