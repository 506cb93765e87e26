import { strict as assert } from "node:assert";
import { before, describe, it } from "node:test";
import { generatedPlan, generatedState } from "../../bench/generate.js";
import { gateChecksFor } from "../../src/checks/gates.js";
import { ALL_CHECKS } from "../../src/checks/registry.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import { buildModel } from "../../src/model/cluster.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";

// Work is counted, not timed: model.stats.lookups grows with every index look-up and every
// candidate a look-up examines. The large cluster has 4× the pods, nodes and namespaces of the
// small one, so work linear in the input grows about 4×; a look-up inside a loop over pods or
// workloads grows about 16×.
const SMALL_PODS = 1_000;
const LARGE_PODS = 4_000;
const MAX_GROWTH = 4.5;
const MODEL_CONSTRUCTION = "model construction";

interface Work {
  /** Look-ups per check id, plus the model's own construction. */
  lookups: Map<string, number>;
  results: Map<string, CheckResult>;
}

/** Returns the checks a run with this plan runs, as runVerification picks them: every check, then the phase gates. */
function checksFor(plan: RolloutPlan | undefined): CheckDefinition[] {
  return [...ALL_CHECKS, ...gateChecksFor(plan)];
}

/** Builds a generated cluster's model and counts the look-ups of each check, run in report order. */
function countLookups(pods: number, plan: RolloutPlan | undefined): Work {
  const shape = { pods };
  const model = buildModel(generatedState(shape), plan);
  const lookups = new Map([[MODEL_CONSTRUCTION, model.stats.lookups]]);
  const results = new Map<string, CheckResult>();
  for (const check of checksFor(plan)) {
    const before = model.stats.lookups;
    const result = runCheck(check, model, plan, results);
    lookups.set(check.id, model.stats.lookups - before);
    results.set(result.id, result);
  }
  return { lookups, results };
}

function assertLinear(id: string, small: Work, large: Work): void {
  const smallCount = small.lookups.get(id) ?? 0;
  const largeCount = large.lookups.get(id) ?? 0;
  const growth = largeCount / Math.max(smallCount, 1);
  assert.ok(
    growth <= MAX_GROWTH,
    `${id}: ${smallCount} look-ups at ${SMALL_PODS} pods and ${largeCount} at ${LARGE_PODS} pods, ${growth.toFixed(2)}× for 4× the input (at most ${MAX_GROWTH}× allowed): a look-up runs inside a loop over the cluster`,
  );
}

for (const withPlan of [true, false]) {
  // The generated plans of both sizes have the same phases, so the same gate checks.
  const checks = checksFor(withPlan ? generatedPlan({ pods: SMALL_PODS }) : undefined);
  describe(`look-ups grow linearly ${withPlan ? "with" : "without"} a plan`, () => {
    let small: Work;
    let large: Work;
    before(() => {
      small = countLookups(SMALL_PODS, withPlan ? generatedPlan({ pods: SMALL_PODS }) : undefined);
      large = countLookups(LARGE_PODS, withPlan ? generatedPlan({ pods: LARGE_PODS }) : undefined);
    });

    it("counts look-ups at all", () => {
      assert.ok((small.lookups.get(MODEL_CONSTRUCTION) ?? 0) > 0, "the model must count its own look-ups");
      const counted = checks.filter((check) => (large.lookups.get(check.id) ?? 0) > 0);
      assert.ok(counted.length > 0, "at least one check must use the model's indexes");
    });

    it("runs every check without an internal error", () => {
      for (const check of checks) {
        const result = large.results.get(check.id);
        assert.ok(result, `${check.id} produced no result`);
        assert.ok(!result.summary.includes("internal error"), `${check.id}: ${result.summary}`);
      }
    });

    it(MODEL_CONSTRUCTION, () => {
      assertLinear(MODEL_CONSTRUCTION, small, large);
    });

    for (const check of checks) {
      it(check.id, () => {
        assertLinear(check.id, small, large);
      });
    }
  });
}
