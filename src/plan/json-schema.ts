import { z } from "zod";
import { planSchema } from "./schema.js";

/** JSON Schema (draft 2020-12) of the plan file as users write it, for editors that validate YAML. */
export function planJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(planSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  return {
    $schema: generated.$schema,
    $id: "https://meshproof.dev/schema/rollout-plan.schema.json",
    title: "meshproof RolloutPlan",
    description:
      "What a team means by a phase of an Istio rollout on SPIFFE/SPIRE identity, checked by meshproof verify.",
    ...Object.fromEntries(Object.entries(generated).filter(([key]) => key !== "$schema")),
  };
}
