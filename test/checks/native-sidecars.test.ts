import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { nativeSidecarChecks, templatePatchesProxyContainers } from "../../src/checks/native-sidecars.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import type { CollectedState } from "../../src/collect/types.js";
import type { EnvVar, KubeObject, Pod } from "../../src/model/kube.js";
import { runCheck } from "../../src/run/run.js";
import { configMap, deploymentWithPods, modelOf } from "../support/builders.js";

const check = nativeSidecarChecks.find((candidate) => candidate.id === "MP-NS-01") as CheckDefinition;

const ISTIOD = "Deployment istio-system/istiod";
const INJECTOR = "ConfigMap istio-system/istio-sidecar-injector";
const NATIVE_ON: EnvVar[] = [{ name: "ENABLE_NATIVE_SIDECARS", value: "true" }];

/** istiod's Deployment and running pods; `podEnv` gives each pod its env, defaulting to the template's. */
function istiod(templateEnv: EnvVar[] | undefined, podEnv: Array<EnvVar[] | undefined> = [templateEnv]): KubeObject[] {
  const deployment: KubeObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "istiod", namespace: "istio-system", generation: 1 },
    spec: {
      replicas: podEnv.length,
      template: {
        spec: { containers: [{ name: "discovery", image: "docker.io/istio/pilot:1.23.2", env: templateEnv }] },
      },
    },
    status: { readyReplicas: podEnv.length, observedGeneration: 1 },
  };
  const pods = podEnv.map(
    (env, index): Pod => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `istiod-5d8f-${index}`, namespace: "istio-system", labels: { app: "istiod" } },
      spec: { containers: [{ name: "discovery", image: "docker.io/istio/pilot:1.23.2", env }] },
      status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
    }),
  );
  return [deployment, ...pods];
}

/** The injector ConfigMap with the chart's sidecar template and one custom template. */
function injector(customName: string, customBody: string, defaultTemplates = ["sidecar", customName]): KubeObject {
  const indent = (text: string) =>
    text
      .split("\n")
      .map((line) => `    ${line}`)
      .join("\n");
  const config = [
    `defaultTemplates: [${defaultTemplates.join(", ")}]`,
    "policy: enabled",
    "templates:",
    "  sidecar: |",
    indent("spec:\n  containers:\n  - name: istio-proxy\n    image: auto"),
    `  ${customName}: |`,
    indent(customBody),
  ].join("\n");
  return configMap("istio-system", "istio-sidecar-injector", { config });
}

const SPIRE_CONTAINERS_TEMPLATE = `spec:
  containers:
  - name: istio-proxy
    volumeMounts:
    - name: workload-socket
      mountPath: /run/secrets/workload-spiffe-uds
      readOnly: true
  volumes:
  - name: workload-socket
    csi:
      driver: "csi.spiffe.io"
      readOnly: true`;

const SPIRE_INIT_CONTAINERS_TEMPLATE = SPIRE_CONTAINERS_TEMPLATE.replace("  containers:", "  initContainers:");

function run(objects: KubeObject[], overrides: Partial<CollectedState> = {}): CheckResult {
  return runCheck(check, modelOf(objects, undefined, overrides), undefined);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

function findingWith(result: CheckResult, verdict: string, subject: string) {
  const finding = result.findings.find((candidate) => candidate.verdict === verdict && candidate.subject === subject);
  assert.ok(finding, `no ${verdict} finding for ${subject}; findings: ${pairs(result).join(" | ")}`);
  return finding;
}

const k128 = { kubernetesVersion: { gitVersion: "v1.28.9", source: "version-endpoint" as const } };

describe("MP-NS-01 native sidecars switch", () => {
  it("passes when every istiod pod has the switch on Kubernetes 1.36", () => {
    const objects = [
      ...istiod(NATIVE_ON),
      injector("spire", SPIRE_INIT_CONTAINERS_TEMPLATE),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" }),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-ai", sidecar: "classic" }),
    ];
    const result = run(objects);
    assert.equal(result.verdict, "pass");
    assert.equal(
      result.summary,
      "ENABLE_NATIVE_SIDECARS=true on 1/1 istiod pods; Kubernetes 1.36 supports native sidecars. Sidecars: 1 native, 1 classic.",
    );
    assert.deepEqual(pairs(result), [`pass ${ISTIOD}`]);
    assert.match(
      result.findings[0]?.message ?? "",
      /1 native, 1 classic; pods injected before the switch stay classic until recreated \(Deployment sre\/mdm-ai\)/,
    );
    assert.equal(result.evidence[0]?.output, "istiod-5d8f-0 true");
    assert.deepEqual(result.facts, { nativeSidecarPods: 1, classicSidecarPods: 1 });
  });

  it("fails ENABLE_NATIVE_SIDECARS=true on Kubernetes 1.28", () => {
    const result = run(istiod(NATIVE_ON), k128);
    assert.equal(result.verdict, "fail");
    assert.match(findingWith(result, "fail", ISTIOD).message, /Kubernetes 1\.28 predates 1\.29/);
    assert.match(result.summary, /but Kubernetes 1\.28 needs 1\.29 or later for native sidecars/);
  });

  it("warns when istiod pods disagree", () => {
    const result = run(istiod(NATIVE_ON, [NATIVE_ON, undefined]));
    assert.equal(result.verdict, "warn");
    assert.match(
      findingWith(result, "warn", ISTIOD).message,
      /istiod pods disagree: istiod-5d8f-0 ENABLE_NATIVE_SIDECARS=true, istiod-5d8f-1 ENABLE_NATIVE_SIDECARS unset \(default false\)/,
    );
    assert.match(
      findingWith(result, "skip", INJECTOR).message,
      /is not in the input, so custom injection templates were not checked/,
    );
  });

  it("warns when the Deployment template has not rolled out", () => {
    const result = run(istiod(NATIVE_ON, [undefined]));
    assert.equal(result.verdict, "warn");
    assert.match(
      findingWith(result, "warn", ISTIOD).message,
      /template sets ENABLE_NATIVE_SIDECARS=true but the running pods have ENABLE_NATIVE_SIDECARS unset/,
    );
  });

  it("reports off as info", () => {
    const result = run([
      ...istiod(undefined),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-ai", sidecar: "classic" }),
    ]);
    assert.equal(result.verdict, "info");
    assert.match(
      findingWith(result, "info", ISTIOD).message,
      /Native sidecars are off \(ENABLE_NATIVE_SIDECARS unset \(default false\)\).*All 1 meshed pods carry classic sidecars/,
    );
    assert.match(result.summary, /^Native sidecars off/);
  });

  it("fails a custom template that patches containers while native mode is on", () => {
    const objects = [
      ...istiod(NATIVE_ON),
      injector("spire", SPIRE_CONTAINERS_TEMPLATE),
      ...deploymentWithPods({ namespace: "sre", name: "mdm-kernel", sidecar: "native" }),
    ];
    const result = run(objects);
    assert.equal(result.verdict, "fail");
    const finding = findingWith(result, "fail", INJECTOR);
    assert.match(
      finding.message,
      /Template "spire" \(listed in defaultTemplates, requested by 1 meshed pod\) overlays containers\[name=istio-proxy\]/,
    );
    assert.match(finding.hint ?? "", /patch initContainers instead of containers/);
    assert.match(result.summary, /Custom injection template spire patches containers/);
    assert.ok(
      result.evidence.some((item) =>
        /spire: \|\n {4}spec:\n {6}containers:\n {6}- name: istio-proxy/.test(item.output),
      ),
    );
  });

  it("notes the same template as info while native mode is off", () => {
    const result = run([...istiod(undefined), injector("spire", SPIRE_CONTAINERS_TEMPLATE)]);
    assert.equal(result.verdict, "info");
    assert.match(
      findingWith(result, "info", INJECTOR).message,
      /breaks pod creation once ENABLE_NATIVE_SIDECARS is switched on/,
    );
  });
});

describe("templatePatchesProxyContainers", () => {
  it("detects containers blocks naming istio-proxy", () => {
    assert.equal(templatePatchesProxyContainers(SPIRE_CONTAINERS_TEMPLATE), true);
    assert.equal(
      templatePatchesProxyContainers(
        'spec:\n  containers:\n  {{- if .Values.x }}\n  - name: "istio-proxy"\n  {{- end }}',
      ),
      true,
    );
    assert.equal(templatePatchesProxyContainers("spec:\n  containers: [{name: istio-proxy, image: auto}]"), true);
  });

  it("ignores initContainers and other containers", () => {
    assert.equal(templatePatchesProxyContainers(SPIRE_INIT_CONTAINERS_TEMPLATE), false);
    assert.equal(
      templatePatchesProxyContainers("spec:\n  containers:\n  - name: app\n  initContainers:\n  - name: istio-proxy"),
      false,
    );
  });
});
