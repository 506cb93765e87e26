import type { CheckDefinition } from "./types.js";

export const trustDomainChecks: CheckDefinition[] = [];
