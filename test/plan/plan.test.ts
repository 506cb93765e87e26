import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { InputError } from "../../src/errors.js";
import { planJsonSchema } from "../../src/plan/json-schema.js";
import { locatePath, parsePlan } from "../../src/plan/load.js";

const VALID = `apiVersion: meshproof.dev/v1alpha1
kind: RolloutPlan
metadata:
  name: demo
spec:
  trustDomain: insignia.tech
  mesh:
    namespaces: [sre]
    workloads:
      - name: mdm-kernel
        namespace: sre
      - name: hello-world
        namespace: sre
        canary: true
  phases:
    current:
      id: mesh-http-apps
      mtls: PERMISSIVE
    next:
      - id: strict
        type: strict
  probes:
    - name: kernel
      url: https://kernel.example.com/healthz
      expectedStatus: 200
      description: ingress to the meshed kernel
`;

function planError(text: string): InputError {
  try {
    parsePlan(text, "plan.yaml");
  } catch (error) {
    assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
    return error;
  }
  assert.fail("the plan was accepted");
}

describe("parsePlan", () => {
  it("fills defaults on a valid plan", () => {
    const plan = parsePlan(VALID, "plan.yaml");
    assert.equal(plan.spec.istio.namespace, "istio-system");
    assert.equal(plan.spec.mesh.workloads[0]?.kind, "Deployment");
    assert.equal(plan.spec.mesh.workloads[1]?.canary, true);
    assert.equal(plan.spec.probes[0]?.method, "GET");
    assert.equal(plan.spec.callerIdTemplate, "spiffe://{trustDomain}/ns/{namespace}/sa/{serviceAccount}");
  });

  it("rejects an unknown field with its line", () => {
    const error = planError(
      VALID.replace("  trustDomain: insignia.tech", "  trustDomain: insignia.tech\n  trustDomian: typo.example"),
    );
    assert.equal(error.line, 7);
    assert.match(error.message, /^plan\.yaml:7: invalid rollout plan: line 7, unknown field "trustDomian" in spec/);
    assert.equal(error.exitCode, 2);
  });

  it("rejects a wrong type with field path and line", () => {
    const error = planError(VALID.replace("expectedStatus: 200", 'expectedStatus: "ok"'));
    assert.match(
      error.message,
      /field spec\.probes\[0\]\.expectedStatus: Invalid input: expected number, received string/,
    );
    assert.equal(error.line, 25);
  });

  it("rejects malformed YAML with line and column", () => {
    const error = planError("apiVersion: meshproof.dev/v1alpha1\nkind: [RolloutPlan\nspec: {}\n");
    assert.match(error.message, /^plan\.yaml:\d+:\d+: invalid YAML: /);
    assert.ok(error.line !== undefined && error.line >= 2);
  });

  it("rejects a plan that is not a mapping", () => {
    const error = planError("- just\n- a list\n");
    assert.match(error.message, /a plan must be one YAML mapping/);
  });
});

describe("locatePath", () => {
  it("follows nested keys and list items", () => {
    assert.equal(locatePath(VALID, ["spec", "mesh", "workloads", 1, "canary"]), 14);
    assert.equal(locatePath(VALID, ["spec", "phases", "next", 0, "type"]), 21);
  });
});

describe("plan JSON Schema", () => {
  it("matches the committed schema file", () => {
    const committed = JSON.parse(
      readFileSync(new URL("../../schema/rollout-plan.schema.json", import.meta.url), "utf8"),
    );
    assert.deepEqual(committed, planJsonSchema(), "run npm run schema to regenerate schema/rollout-plan.schema.json");
  });

  it("validates the example plan and rejects an unknown field", async () => {
    const { load } = await import("js-yaml");
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validate = ajv.compile(planJsonSchema());
    const example = load(readFileSync(new URL("../../examples/plan.yaml", import.meta.url), "utf8")) as Record<
      string,
      unknown
    >;
    assert.equal(validate(example), true, JSON.stringify(validate.errors));
    assert.equal(validate({ ...example, extra: 1 }), false);
  });
});
