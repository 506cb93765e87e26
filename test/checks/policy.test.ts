import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { policyChecks } from "../../src/checks/policy.js";
import type { CheckResult } from "../../src/checks/types.js";
import type { KubeObject } from "../../src/model/kube.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";
import { modelOf, namespace, peerAuthentication, plan, pod, workload } from "../support/builders.js";

const check = policyChecks[0]!;
const VAULT_LABELS = { "app.kubernetes.io/name": "vault" };
const vaultPermissive = { selector: { matchLabels: VAULT_LABELS }, mtls: { mode: "PERMISSIVE" } };

function vault(namespaceName: string, sidecar: "none" | "classic" = "none"): KubeObject[] {
  return [
    workload({ namespace: namespaceName, name: "vault", kind: "StatefulSet", templateLabels: VAULT_LABELS }),
    pod({
      namespace: namespaceName,
      name: "vault-0",
      labels: { app: "vault", ...VAULT_LABELS },
      owner: "StatefulSet/vault",
      sidecar,
    }),
  ];
}

function exceptionPlan(namespaceName = "sre", mode = "PERMISSIVE"): RolloutPlan {
  return plan({
    policyExceptions: [
      {
        namespace: namespaceName,
        name: "vault-permissive",
        reason: "ExternalSecrets calls Vault without a sidecar",
        mode,
        callers: [{ namespace: "external-secrets" }],
      },
    ],
  });
}

function run(objects: KubeObject[], withPlan = exceptionPlan()): CheckResult {
  return runCheck(check, modelOf(objects, withPlan), withPlan);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

const SUBJECT = "PeerAuthentication sre/vault-permissive";

describe("MP-POL-01 policy exceptions", () => {
  it("reports an exception without a sidecar as info", () => {
    const objects = [
      namespace("sre", { "istio-injection": "enabled" }),
      ...vault("sre"),
      peerAuthentication("sre", "vault-permissive", vaultPermissive),
    ];
    const result = run(objects);

    assert.equal(result.verdict, "info");
    assert.deepEqual(pairs(result), [`info ${SUBJECT}`]);
    assert.match(
      result.findings[0]!.message,
      /^present; no effect today: vault has no sidecar, so PeerAuthentication does not apply to it; it becomes effective if vault is meshed/,
    );
    assert.equal(
      result.summary,
      "vault-permissive applied, selector app.kubernetes.io/name=vault; no effect today (vault has no sidecar).",
    );
    assert.equal(
      result.evidence[0]?.output,
      'vault-permissive: mode=PERMISSIVE selector={"app.kubernetes.io/name":"vault"}',
    );
  });

  it("passes when the exception decides a meshed pod's mode", () => {
    const objects = [
      ...vault("sre", "classic"),
      peerAuthentication("istio-system", "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("sre", "vault-permissive", vaultPermissive),
    ];
    const result = run(objects);
    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), [`pass ${SUBJECT}`]);
    assert.match(result.findings[0]!.message, /^applies PERMISSIVE to the meshed pod it selects \(vault\)/);
  });

  it("fails when an older workload policy overrides the exception", () => {
    const objects = [
      ...vault("sre", "classic"),
      peerAuthentication(
        "sre",
        "vault-strict",
        { selector: { matchLabels: { app: "vault" } }, mtls: { mode: "STRICT" } },
        "2026-06-01T00:00:00Z",
      ),
      peerAuthentication("sre", "vault-permissive", vaultPermissive),
    ];
    const result = run(objects);
    assert.equal(result.verdict, "fail");
    assert.match(result.findings[0]!.message, /older workload policy \(PeerAuthentication sre\/vault-strict\) wins/);
  });

  it("fails a missing exception", () => {
    const result = run(vault("sre"));
    assert.deepEqual(pairs(result), [`fail ${SUBJECT}`]);
    assert.match(result.findings[0]!.message, /^not found/);
  });

  it("fails a mode that differs from the plan", () => {
    const objects = [
      ...vault("sre"),
      peerAuthentication("sre", "vault-permissive", { ...vaultPermissive, mtls: { mode: "STRICT" } }),
    ];
    const result = run(objects);
    assert.equal(result.verdict, "fail");
    assert.match(result.findings[0]!.message, /^mode STRICT, but the plan's exception keeps PERMISSIVE/);
  });

  it("warns on an exception in another namespace than the pods", () => {
    const objects = [...vault("vault"), peerAuthentication("sre", "vault-permissive", vaultPermissive)];
    const result = run(objects);
    assert.equal(result.verdict, "warn");
    assert.match(result.findings[0]!.message, /selects no pod in namespace sre; pods in vault match/);
  });

  it("fails a selector exception in the root namespace", () => {
    const objects = [...vault("vault"), peerAuthentication("istio-system", "vault-permissive", vaultPermissive)];
    const result = run(objects, exceptionPlan("istio-system"));
    assert.deepEqual(pairs(result), ["fail PeerAuthentication istio-system/vault-permissive"]);
    assert.match(result.findings[0]!.message, /^ignored: /);
  });

  it("becomes unknown when PeerAuthentications could not be read", () => {
    const withPlan = exceptionPlan();
    const model = modelOf(vault("sre"), withPlan, {
      collectionIssues: [
        {
          resource: "peerauthentications.security.istio.io",
          reason: "forbidden",
          message: "403",
          permission: "list peerauthentications.security.istio.io",
        },
      ],
    });
    assert.equal(runCheck(check, model, withPlan).verdict, "unknown");
  });
});
