import type { CheckDefinition } from "./types.js";

export const policyChecks: CheckDefinition[] = [];
