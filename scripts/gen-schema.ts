// Writes schema/rollout-plan.schema.json from the plan's zod schema; a test keeps the two equal.
import { writeFileSync } from "node:fs";
import { planJsonSchema } from "../src/plan/json-schema.js";

writeFileSync(
  new URL("../schema/rollout-plan.schema.json", import.meta.url),
  `${JSON.stringify(planJsonSchema(), null, 2)}\n`,
);
console.log("wrote schema/rollout-plan.schema.json");
