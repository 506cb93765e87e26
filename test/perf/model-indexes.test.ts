import { strict as assert } from "node:assert";
import { before, describe, it } from "node:test";
import { generateCluster, generatedState } from "../../bench/generate.js";
import { buildModel, type ClusterModel } from "../../src/model/cluster.js";
import { chartDefaultWebhooks, decideInjection, injectorWebhooks } from "../../src/model/injection.js";
import type { KubeObject, LabelSelector } from "../../src/model/kube.js";
import { composePeerAuthentication } from "../../src/model/mtls.js";
import { matchesSelector } from "../../src/model/selectors.js";
import { namespace, peerAuthentication, pod } from "../support/builders.js";

// The model's shortcuts (shared injection decisions, the per-namespace label index) must give the
// same results as computing each one from scratch.

/** Returns a generated cluster plus pods whose labels and annotations exercise every injection rule. */
function clusterWithOddPods(): KubeObject[] {
  const objects = generateCluster({ pods: 600 });
  objects.push(
    namespace("revisioned", { "istio.io/rev": "default" }),
    namespace("opted-out", { "istio-injection": "disabled" }),
  );
  const variants: Array<Parameters<typeof pod>[0]> = [
    { namespace: "sre", name: "label-false", labels: { app: "odd", "sidecar.istio.io/inject": "false" } },
    {
      namespace: "sre",
      name: "annotation-false",
      labels: { app: "odd" },
      annotations: { "sidecar.istio.io/inject": "false" },
    },
    { namespace: "sre", name: "host-network", labels: { app: "odd" }, hostNetwork: true },
    { namespace: "workers", name: "label-true", labels: { app: "odd", "sidecar.istio.io/inject": "true" } },
    {
      namespace: "workers",
      name: "annotation-true",
      labels: { app: "odd" },
      annotations: { "sidecar.istio.io/inject": "true" },
    },
    { namespace: "workers", name: "revision-label", labels: { app: "odd", "istio.io/rev": "default" } },
    { namespace: "revisioned", name: "in-revisioned", labels: { app: "odd" } },
    { namespace: "opted-out", name: "label-true-opted-out", labels: { app: "odd", "sidecar.istio.io/inject": "true" } },
    { namespace: "kube-system", name: "ignored-namespace", labels: { app: "odd", "sidecar.istio.io/inject": "true" } },
  ];
  for (const variant of variants) objects.push(pod(variant));
  objects.push(
    peerAuthentication(
      "sre",
      "odd-strict",
      { selector: { matchLabels: { app: "odd" } }, mtls: { mode: "STRICT" } },
      "2026-06-01T00:00:00Z",
    ),
    peerAuthentication("sre", "odd-disable", { selector: { matchLabels: { app: "odd" } }, mtls: { mode: "DISABLE" } }),
    peerAuthentication("sre", "host-ports", {
      selector: { matchLabels: { app: "odd", "sidecar.istio.io/inject": "false" } },
      portLevelMtls: { "8080": { mode: "DISABLE" } },
    }),
    peerAuthentication("istio-system", "misplaced", {
      selector: { matchLabels: { app: "odd" } },
      mtls: { mode: "DISABLE" },
    }),
  );
  return objects;
}

describe("model indexes", () => {
  let model: ClusterModel;
  before(() => {
    const objects = clusterWithOddPods();
    model = buildModel(generatedState({ pods: 600 }, objects), undefined);
  });

  it("shared injection decisions match fresh ones", () => {
    const found = injectorWebhooks(model.list("MutatingWebhookConfiguration"), "default");
    const webhooks = found.length > 0 ? found : chartDefaultWebhooks("default");
    assert.ok(found.length > 0, "the generated cluster must carry the injector webhooks");
    const reasons = new Set<string>();
    for (const view of model.pods) {
      const fresh = decideInjection(
        {
          namespace: view.namespace,
          namespaceLabels: model.namespaceLabels(view.namespace),
          podLabels: view.labels,
          podAnnotations: view.annotations,
          hostNetwork: view.hostNetwork,
        },
        webhooks,
        false,
      );
      assert.deepEqual(view.injection, fresh, view.subject);
      reasons.add(fresh.reason);
    }
    assert.ok(reasons.size >= 6, `the pods must cover several injection rules, got: ${[...reasons].join(" | ")}`);
  });

  it("shared mTLS compositions match fresh ones", () => {
    const root = model.mesh.rootNamespace;
    const all = model.list("PeerAuthentication");
    const flip = [peerAuthentication(root, "hypothetical-strict", { mtls: { mode: "STRICT" } })];
    const workloadPolicies = new Set<string>();
    for (const view of model.pods) {
      const policies = all.filter(
        (policy) => policy.metadata.namespace === root || policy.metadata.namespace === view.namespace,
      );
      assert.deepEqual(
        model.effectiveMtls(view),
        composePeerAuthentication(policies, root, view.namespace, view.labels),
        view.subject,
      );
      assert.deepEqual(
        model.composeMtls(view.namespace, view.labels, flip),
        composePeerAuthentication([...policies, ...flip], root, view.namespace, view.labels),
        `${view.subject} with a STRICT flip`,
      );
      workloadPolicies.add(model.effectiveMtls(view).workload ?? "none");
    }
    assert.ok(
      workloadPolicies.size >= 4,
      `pods must be selected by several workload policies, got ${[...workloadPolicies].join(", ")}`,
    );
  });

  it("podsMatching equals a full scan", () => {
    const selectors: Array<{ selector: LabelSelector; namespace?: string }> = [
      { selector: { matchLabels: { app: "odd" } }, namespace: "sre" },
      { selector: { matchLabels: { app: "odd" } } },
      { selector: { matchLabels: { "app.kubernetes.io/name": "mdm-kernel-0000" } }, namespace: "team-001" },
      { selector: { matchLabels: { "app.kubernetes.io/name": "mdm-kernel-0000" } } },
      { selector: { matchLabels: { "security.istio.io/tlsMode": "istio", app: "mdm-kernel-0000" } }, namespace: "sre" },
      {
        selector: {
          matchLabels: { app: "odd" },
          matchExpressions: [{ key: "sidecar.istio.io/inject", operator: "Exists" }],
        },
      },
      {
        selector: { matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["database"] }] },
        namespace: "sre",
      },
      { selector: {}, namespace: "workers" },
      { selector: { matchLabels: { app: "no-such-app" } }, namespace: "sre" },
    ];
    let nonEmpty = 0;
    for (const { selector, namespace: scope } of selectors) {
      const expected = model.pods.filter(
        (view) => (scope === undefined || view.namespace === scope) && matchesSelector(selector, view.labels),
      );
      const actual = model.podsMatching(selector, scope);
      assert.deepEqual(
        actual.map((view) => view.subject),
        expected.map((view) => view.subject),
        `${JSON.stringify(selector)} in ${scope ?? "all namespaces"}`,
      );
      if (expected.length > 0) nonEmpty++;
    }
    assert.ok(nonEmpty >= 6, "most selectors must match some pods, or the comparison proves little");
  });
});
