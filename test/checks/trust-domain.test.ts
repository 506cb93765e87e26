import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { trustDomainChecks } from "../../src/checks/trust-domain.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import type { CollectedState, IstiodMeshEvidence } from "../../src/collect/types.js";
import type { KubeObject } from "../../src/model/kube.js";
import { ISTIO_SPIFFE_TEMPLATE } from "../../src/model/spire.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";
import {
  configMap,
  deploymentWithPods,
  meshConfigMap,
  modelOf,
  plan,
  resource,
  workload,
} from "../support/builders.js";

const check = trustDomainChecks.find((candidate) => candidate.id === "MP-TD-01") as CheckDefinition;

const MESH_CM = "ConfigMap istio-system/istio";
const SERVER_CM = "ConfigMap spire-server/spire-server";

/** SPIRE as the hardened chart deploys it, every component naming `trustDomain`. */
function spire(trustDomain = "insignia.tech", template = ISTIO_SPIFFE_TEMPLATE): KubeObject[] {
  return [
    workload({ kind: "StatefulSet", namespace: "spire-server", name: "spire-server" }),
    configMap("spire-server", "spire-server", {
      "server.conf": `server {\n  bind_address = "0.0.0.0"\n  trust_domain = "${trustDomain}"\n}\n`,
    }),
    configMap("spire-system", "spire-agent", { "agent.conf": `agent {\n  trust_domain = "${trustDomain}"\n}\n` }),
    configMap("spire-server", "spire-controller-manager", {
      "controller-manager-config.yaml": `apiVersion: spire.spiffe.io/v1alpha1\nkind: ControllerManagerConfig\ntrustDomain: ${trustDomain}\n`,
    }),
    resource("spire.spiffe.io/v1alpha1", "ClusterSPIFFEID", undefined, "istio-mesh", {
      spiffeIDTemplate: template,
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "sre" } },
    }),
  ];
}

function run(objects: KubeObject[], withPlan?: RolloutPlan, overrides: Partial<CollectedState> = {}): CheckResult {
  return runCheck(check, modelOf(objects, withPlan, overrides), withPlan);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

function findingWith(result: CheckResult, verdict: string, subject: string) {
  const finding = result.findings.find((candidate) => candidate.verdict === verdict && candidate.subject === subject);
  assert.ok(finding, `no ${verdict} finding for ${subject}; findings: ${pairs(result).join(" | ")}`);
  return finding;
}

function debugMesh(mesh: Record<string, unknown> | undefined, error?: IstiodMeshEvidence["error"]): IstiodMeshEvidence {
  return {
    type: "istiod-debug-mesh",
    id: "debug-mesh:istiod-5d8f-0",
    command: "kubectl -n istio-system port-forward istiod-5d8f-0 15014 & curl -s localhost:15014/debug/mesh",
    output: JSON.stringify(mesh ?? {}),
    at: "2026-06-28T21:39:00Z",
    durationMs: 20,
    attempts: 1,
    pod: "istiod-5d8f-0",
    namespace: "istio-system",
    mesh,
    error,
  };
}

describe("MP-TD-01 one trust domain", () => {
  it("passes when Istio, SPIRE, ClusterSPIFFEID and the plan agree", () => {
    const result = run([meshConfigMap("trustDomain: insignia.tech\nenableAutoMtls: true\n"), ...spire()], plan());
    assert.equal(result.verdict, "pass");
    assert.equal(
      result.summary,
      "insignia.tech — matches SPIRE, ClusterSPIFFEID and the policy contract (caller ID spiffe://insignia.tech/ns/<ns>/sa/<sa>).",
    );
    assert.deepEqual(pairs(result), ["skip Deployment istio-system/istiod", "pass RolloutPlan test-plan"]);
    assert.match(result.findings[0]?.message ?? "", /istiod \/debug\/mesh not read: snapshot input/);

    const commands = result.evidence.map((item) => item.command);
    assert.ok(
      commands.includes("kubectl -n istio-system get cm istio -o jsonpath='{.data.mesh}'"),
      commands.join(" | "),
    );
    assert.ok(commands.includes("kubectl -n spire-server get cm spire-server -o yaml"), commands.join(" | "));
    assert.ok(commands.includes("kubectl get clusterspiffeid -o yaml"), commands.join(" | "));
    assert.equal(result.evidence[0]?.output, "trustDomain: insignia.tech\nenableAutoMtls: true");
    assert.match(result.evidence[1]?.output ?? "", /server\.conf: \|\n {4}\.\.\.\n {4}trust_domain = "insignia\.tech"/);
  });

  it("fails Istio's default cluster.local against SPIRE's insignia.tech, naming both sources", () => {
    const result = run([meshConfigMap("enableAutoMtls: true\n"), ...spire()]);
    assert.equal(result.verdict, "fail");
    const message = findingWith(result, "fail", MESH_CM).message;
    assert.match(message, /^The Istio mesh config \(ConfigMap istio-system\/istio\) names trust domain cluster\.local/);
    assert.match(message, /trustDomain is not set, so Istio uses its default/);
    assert.match(message, /the SPIRE server config \(ConfigMap spire-server\/spire-server, server\.conf\)/);
    assert.match(message, /name insignia\.tech/);
    assert.match(result.evidence[0]?.output ?? "", /# trustDomain not set: Istio uses cluster\.local/);
  });

  it("names every value and source in the summary of a mismatch", () => {
    const result = run([meshConfigMap("trustDomain: cluster.local\n"), ...spire()], plan());
    assert.equal(result.verdict, "fail");
    assert.equal(
      result.summary,
      "Trust domain mismatch: cluster.local in Istio (ConfigMap istio-system/istio); insignia.tech in the policy contract, SPIRE (ConfigMap spire-server/spire-server), SPIRE (ConfigMap spire-system/spire-agent) and SPIRE (ConfigMap spire-server/spire-controller-manager).",
    );
    assert.match(findingWith(result, "fail", MESH_CM).hint ?? "", /meshConfig\.trustDomain: insignia\.tech/);
  });

  it("fails a plan that disagrees with the cluster", () => {
    const result = run(
      [meshConfigMap("trustDomain: insignia.tech\n"), ...spire()],
      plan({ trustDomain: "example.org" }),
    );
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", MESH_CM).message,
      /names trust domain insignia\.tech, but the policy contract \(plan spec\.trustDomain\) names example\.org/,
    );
    assert.match(findingWith(result, "fail", SERVER_CM).message, /names trust domain insignia\.tech/);
  });

  it("fails cluster.local everywhere when SPIRE is used", () => {
    const result = run([meshConfigMap("trustDomain: cluster.local\n"), ...spire("cluster.local")]);
    assert.equal(result.verdict, "fail");
    assert.match(findingWith(result, "fail", MESH_CM).message, /names cluster\.local, Istio's default trust domain/);
  });

  it("fails a ClusterSPIFFEID template that is not the Istio form", () => {
    const template = 'spiffe://{{ .TrustDomain }}/app/{{ index .PodMeta.Labels "app" }}';
    const result = run([meshConfigMap("trustDomain: insignia.tech\n"), ...spire("insignia.tech", template)], plan());
    assert.equal(result.verdict, "fail");
    assert.match(findingWith(result, "fail", "ClusterSPIFFEID istio-mesh").message, /is not the form Istio requires/);
    assert.match(result.summary, /But: ClusterSPIFFEID istio-mesh is not in Istio's ID form\.$/);
  });

  it("fails a literal trust domain in the ClusterSPIFFEID template that differs", () => {
    const template = "spiffe://example.org/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";
    const result = run([meshConfigMap("trustDomain: insignia.tech\n"), ...spire("insignia.tech", template)], plan());
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", "ClusterSPIFFEID istio-mesh").message,
      /a literal trust domain\) names trust domain example\.org/,
    );
  });

  it("fails enableAutoMtls false and warns on aliases", () => {
    const mesh = "trustDomain: insignia.tech\nenableAutoMtls: false\ntrustDomainAliases:\n- old.example\n";
    const result = run([meshConfigMap(mesh), ...spire()], plan());
    assert.equal(result.verdict, "fail");
    assert.match(findingWith(result, "fail", MESH_CM).message, /enableAutoMtls is false/);
    assert.match(findingWith(result, "warn", MESH_CM).message, /trustDomainAliases is set \(old\.example\)/);
    assert.equal(
      result.evidence[0]?.output,
      "trustDomain: insignia.tech\nenableAutoMtls: false\ntrustDomainAliases:\n- old.example",
    );
  });

  it("warns on pods injected with an older TRUST_DOMAIN", () => {
    const stale = deploymentWithPods({ namespace: "sre", name: "mdm-ai", sidecar: "classic" });
    for (const object of stale) {
      const proxy =
        object.kind === "Pod"
          ? object.spec?.containers?.find((container: { name: string }) => container.name === "istio-proxy")
          : undefined;
      if (proxy) proxy.env = [{ name: "TRUST_DOMAIN", value: "cluster.local" }];
    }
    const result = run([meshConfigMap("trustDomain: insignia.tech\n"), ...spire(), ...stale], plan());
    assert.equal(result.verdict, "warn");
    assert.match(
      findingWith(result, "warn", "Deployment sre/mdm-ai").message,
      /TRUST_DOMAIN=cluster\.local while Istio now uses insignia\.tech/,
    );
    assert.match(result.summary, /1 pod still carry an older TRUST_DOMAIN\.$/);
  });

  it("compares istiod's live /debug/mesh value", () => {
    const result = run([meshConfigMap("trustDomain: insignia.tech\n"), ...spire()], plan(), {
      live: true,
      evidence: [debugMesh({ trustDomain: "cluster.local" })],
    });
    assert.equal(result.verdict, "fail");
    assert.match(
      findingWith(result, "fail", "Pod istio-system/istiod-5d8f-0").message,
      /^The effective mesh config from istiod \/debug\/mesh \(pod istiod-5d8f-0\) names trust domain cluster\.local/,
    );
    assert.ok(
      result.evidence.some((item) => item.source === "live" && item.output === '"trustDomain": "cluster.local"'),
    );
  });

  it("is unknown for the live part when /debug/mesh failed", () => {
    const result = run([meshConfigMap("trustDomain: insignia.tech\n"), ...spire()], plan(), {
      live: true,
      evidence: [
        debugMesh(undefined, {
          reason: "forbidden",
          message: "port-forward denied",
          permission: "create pods/portforward",
        }),
      ],
    });
    assert.equal(result.verdict, "unknown");
    assert.match(
      findingWith(result, "unknown", "Pod istio-system/istiod-5d8f-0").message,
      /could not be read \(forbidden\)/,
    );
  });

  it("is unknown when the mesh ConfigMap is absent", () => {
    const result = run([...spire()], plan());
    assert.equal(result.verdict, "unknown");
    assert.match(findingWith(result, "unknown", MESH_CM).message, /not in the input/);
  });
});
