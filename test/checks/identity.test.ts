import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { identityChecks } from "../../src/checks/identity.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import type { ParsedCertificate, ServedCertificateEvidence } from "../../src/collect/types.js";
import type { KubeObject } from "../../src/model/kube.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";
import { CAPTURED_AT, deploymentWithPods, meshConfigMap, modelOf, namespace, plan } from "../support/builders.js";

const byId = (id: string) => identityChecks.find((check) => check.id === id) as CheckDefinition;
const identity = byId("MP-ID-01");
const socket = byId("MP-ID-02");
const servedCertificates = byId("MP-ID-03");

const sre = namespace("sre", { "istio-injection": "enabled" });
const meshConfig = meshConfigMap("trustDomain: insignia.tech\n");

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

function findingFor(result: CheckResult, subject: string) {
  const finding = result.findings.find((candidate) => candidate.subject === subject);
  assert.ok(finding, `no finding for ${subject}; findings: ${pairs(result).join(" | ")}`);
  return finding;
}

function run(
  check: CheckDefinition,
  objects: KubeObject[],
  withPlan: RolloutPlan | undefined,
  evidence: ServedCertificateEvidence[] = [],
  live = false,
): CheckResult {
  return runCheck(check, modelOf(objects, withPlan, { evidence, live }), withPlan);
}

describe("MP-ID-01 expected SPIFFE identity", () => {
  it("passes each workload and warns once on a shared ServiceAccount", () => {
    const objects = [
      sre,
      meshConfig,
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" }),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-ai", sidecar: "classic" }),
      ...deploymentWithPods({ namespace: "sre", name: "hello-world", sidecar: "classic" }),
    ];
    const result = run(identity, objects, plan());

    assert.equal(result.verdict, "warn");
    assert.deepEqual(pairs(result), [
      "pass Deployment sre/mdm-kernel",
      "pass Deployment sre/mdm-ai",
      "pass Deployment sre/hello-world",
      "warn ServiceAccount sre/default",
    ]);
    assert.equal(result.summary, "spiffe://insignia.tech/ns/sre/sa/default — shared by 3 workloads.");
    const shared = findingFor(result, "ServiceAccount sre/default");
    assert.match(shared.message, /^shared by 3 meshed workloads \(hello-world, mdm-ai, mdm-kernel\)/);
    assert.match(
      shared.message,
      /per-workload authorization is impossible until each workload has its own ServiceAccount/,
    );
    assert.match(result.evidence[0]?.output ?? "", /^trustDomain: insignia\.tech$/);
  });

  it("passes workloads with their own ServiceAccounts", () => {
    const objects = [
      sre,
      meshConfig,
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native", serviceAccount: "mdm-kernel" }),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-ai", sidecar: "classic", serviceAccount: "mdm-ai" }),
    ];
    const result = run(identity, objects, plan());
    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), ["pass Deployment sre/mdm-kernel", "pass Deployment sre/mdm-ai"]);
    assert.match(findingFor(result, "Deployment sre/mdm-ai").message, /spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/mdm-ai/);
  });

  it("fails when the mesh trust domain is not the plan's", () => {
    // No MeshConfig in the input: Istio's default trust domain cluster.local applies.
    const objects = [sre, ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "classic" })];
    const result = run(identity, objects, plan());

    assert.equal(result.verdict, "fail");
    const message = findingFor(result, "Deployment sre/mdm-kernel").message;
    assert.match(
      message,
      /Istio issues spiffe:\/\/cluster\.local\/ns\/sre\/sa\/default, but the policy layer expects spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/default/,
    );
    assert.match(message, /MeshConfig sets no trustDomain/);
  });

  it("reports an unrenderable callerIdTemplate as unknown", () => {
    const objects = [
      sre,
      meshConfig,
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "classic" }),
    ];
    const result = run(identity, objects, plan({ callerIdTemplate: "spiffe://{trustDomain}/pod/{podName}" }));
    assert.deepEqual(pairs(result), ["unknown Deployment sre/mdm-kernel"]);
  });

  it("lists identities without a plan", () => {
    const objects = [
      sre,
      meshConfig,
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "classic" }),
    ];
    const result = run(identity, objects, undefined);
    assert.deepEqual(pairs(result), ["info Deployment sre/mdm-kernel"]);
  });
});

describe("MP-ID-02 SPIRE socket through the CSI driver", () => {
  it("passes pods that mount workload-socket from csi.spiffe.io", () => {
    const objects = [sre, ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" })];
    const result = run(socket, objects, plan());
    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), ["pass Deployment sre/mdm-kernel"]);
    assert.equal(result.summary, "The meshed workload mounts workload-socket through csi.spiffe.io.");
  });

  it("fails a pod that mounts workload-socket as emptyDir", () => {
    const objects = [
      sre,
      ...deploymentWithPods({
        namespace: "sre",
        name: "poi-api",
        sidecar: "classic",
        pods: [{ volumes: [{ name: "workload-socket", emptyDir: {} }] }],
      }),
    ];
    const result = run(socket, objects, plan());
    assert.equal(result.verdict, "fail");
    const message = findingFor(result, "Deployment sre/poi-api").message;
    assert.match(message, /poi-api-abc12-p0 \(emptyDir\)/);
    assert.match(message, /istiod-issued certificate/);
    assert.match(result.evidence[0]?.output ?? "", /sre\/poi-api-abc12-p0\s+emptyDir/);
  });
});

const HOUR = 3_600_000;

function certificate(overrides: Partial<ParsedCertificate> = {}): ParsedCertificate {
  const at = new Date(CAPTURED_AT).getTime();
  return {
    subject: "C=US\nO=SPIRE",
    issuer: "C=US\nO=SPIFFE",
    serialNumber: "0A1B",
    validFrom: new Date(at - 0.25 * HOUR).toISOString(),
    validTo: new Date(at + 0.75 * HOUR).toISOString(),
    uriSans: ["spiffe://insignia.tech/ns/sre/sa/default"],
    isCa: false,
    fingerprint256: "AA:BB",
    ...overrides,
  };
}

function servedCertificate(
  leaf: ParsedCertificate | undefined,
  overrides: Partial<ServedCertificateEvidence> = {},
): ServedCertificateEvidence {
  return {
    type: "served-certificate",
    id: "certs:sre/mdm-kernel-abc12-p0",
    command: "kubectl -n sre port-forward pod/mdm-kernel-abc12-p0 15000 & curl -s localhost:15000/certs",
    output: "",
    at: CAPTURED_AT,
    durationMs: 40,
    attempts: 1,
    pod: "mdm-kernel-abc12-p0",
    namespace: "sre",
    workload: "Deployment sre/mdm-kernel",
    chain: leaf ? [leaf] : [],
    validationContext: "spiffe-validator",
    ...overrides,
  };
}

describe("MP-ID-03 served SVIDs come from SPIRE", () => {
  const objects = [sre, meshConfig, ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" })];

  it("skips per workload on snapshot input", () => {
    const result = run(servedCertificates, objects, plan());
    assert.equal(result.verdict, "skip");
    assert.deepEqual(pairs(result), ["skip Deployment sre/mdm-kernel"]);
    assert.equal(
      findingFor(result, "Deployment sre/mdm-kernel").message,
      "served certificate not read: snapshot input; a live run reads Envoy's /certs through port-forward",
    );
  });

  it("passes a SPIRE-issued SVID with the expected SAN", () => {
    const result = run(servedCertificates, objects, plan(), [servedCertificate(certificate())], true);
    assert.equal(result.verdict, "pass");
    assert.match(
      findingFor(result, "Deployment sre/mdm-kernel").message,
      /SPIRE-issued SVID for spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/default/,
    );
    assert.equal(result.evidence[0]?.source, "live");
  });

  it("fails an istiod-issued certificate", () => {
    const leaf = certificate({ subject: "", issuer: "O=insignia.tech" });
    const result = run(
      servedCertificates,
      objects,
      plan(),
      [servedCertificate(leaf, { validationContext: "trusted-ca" })],
      true,
    );
    assert.equal(result.verdict, "fail");
    assert.match(findingFor(result, "Deployment sre/mdm-kernel").message, /issued by istiod/);
  });

  it("fails a wrong SAN", () => {
    const leaf = certificate({ uriSans: ["spiffe://cluster.local/ns/sre/sa/default"] });
    const result = run(servedCertificates, objects, plan(), [servedCertificate(leaf)], true);
    assert.equal(result.verdict, "fail");
    assert.match(
      findingFor(result, "Deployment sre/mdm-kernel").message,
      /is not the expected spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/default/,
    );
  });

  it("fails an expired SVID and warns on one near expiry", () => {
    const at = new Date(CAPTURED_AT).getTime();
    const expired = certificate({
      validFrom: new Date(at - 2 * HOUR).toISOString(),
      validTo: new Date(at - HOUR).toISOString(),
    });
    assert.equal(run(servedCertificates, objects, plan(), [servedCertificate(expired)], true).verdict, "fail");

    const nearExpiry = certificate({
      validFrom: new Date(at - 0.95 * HOUR).toISOString(),
      validTo: new Date(at + 0.05 * HOUR).toISOString(),
    });
    const result = run(servedCertificates, objects, plan(), [servedCertificate(nearExpiry)], true);
    assert.equal(result.verdict, "warn");
    assert.match(findingFor(result, "Deployment sre/mdm-kernel").message, /rotation may be stalled/);
  });

  it("reports an evidence error as unknown", () => {
    const failed = servedCertificate(undefined, { error: { reason: "forbidden", message: "pods/portforward denied" } });
    const result = run(servedCertificates, objects, plan(), [failed], true);
    assert.deepEqual(pairs(result), ["unknown Deployment sre/mdm-kernel"]);
  });
});
