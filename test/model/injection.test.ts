import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chartDefaultWebhooks, decideInjection } from "../../src/model/injection.js";
import { classifySidecar, imageTag } from "../../src/model/sidecar.js";
import { pod } from "../support/builders.js";

const webhooks = chartDefaultWebhooks("default");

function decide(
  namespaceLabels: Record<string, string>,
  podLabels: Record<string, string> = {},
  annotations: Record<string, string> = {},
  hostNetwork = false,
) {
  return decideInjection(
    { namespace: "sre", namespaceLabels, podLabels, podAnnotations: annotations, hostNetwork },
    webhooks,
    true,
  );
}

describe("decideInjection", () => {
  it("injects in a namespace labelled istio-injection=enabled", () => {
    const decision = decide({ "istio-injection": "enabled" });
    assert.equal(decision.injects, true);
    assert.equal(decision.webhook, "namespace.sidecar-injector.istio.io");
  });

  it("injects in a namespace labelled istio.io/rev", () => {
    assert.equal(decide({ "istio.io/rev": "default" }).injects, true);
  });

  it("lets the pod label opt out", () => {
    const decision = decide({ "istio-injection": "enabled" }, { "sidecar.istio.io/inject": "false" });
    assert.equal(decision.injects, false);
    assert.match(decision.reason, /opts the pod out/);
  });

  it("lets the annotation opt out but not in", () => {
    assert.equal(decide({ "istio-injection": "enabled" }, {}, { "sidecar.istio.io/inject": "false" }).injects, false);
    const optIn = decide({}, {}, { "sidecar.istio.io/inject": "true" });
    assert.equal(optIn.injects, false);
    assert.match(optIn.reason, /cannot opt a pod in/);
  });

  it("gives the label precedence over the annotation", () => {
    assert.equal(
      decide(
        { "istio-injection": "enabled" },
        { "sidecar.istio.io/inject": "true" },
        { "sidecar.istio.io/inject": "false" },
      ).injects,
      true,
    );
  });

  it("injects an opted-in pod in an unlabelled namespace", () => {
    assert.equal(decide({}, { "sidecar.istio.io/inject": "true" }).webhook, "object.sidecar-injector.istio.io");
  });

  it("lets istio-injection=disabled win over a pod label", () => {
    const decision = decide({ "istio-injection": "disabled" }, { "sidecar.istio.io/inject": "true" });
    assert.equal(decision.injects, false);
    assert.match(decision.reason, /istio-injection=disabled/);
  });

  it("never injects hostNetwork pods", () => {
    assert.equal(decide({ "istio-injection": "enabled" }, {}, {}, true).injects, false);
  });
});

describe("classifySidecar", () => {
  it("finds a native sidecar only under initContainers", () => {
    const info = classifySidecar(pod({ namespace: "sre", name: "poi-api", sidecar: "native" }));
    assert.equal(info.kind, "native");
    assert.equal(info.version, "1.23.2");
    assert.equal(info.status?.ready, true);
  });

  it("finds a classic sidecar under containers", () => {
    assert.equal(classifySidecar(pod({ namespace: "sre", name: "roof", sidecar: "classic" })).kind, "classic");
  });

  it("does not count an istio-proxy init container without restartPolicy Always", () => {
    const plain = pod({ namespace: "sre", name: "odd", sidecar: "none" });
    plain.spec?.initContainers?.push({ name: "istio-proxy", image: "docker.io/istio/proxyv2:1.23.2" });
    const info = classifySidecar(plain);
    assert.equal(info.kind, "none");
    assert.equal(info.initContainerNotSidecar, true);
  });
});

describe("imageTag", () => {
  it("reads tags with registries, ports and digests", () => {
    assert.equal(imageTag("docker.io/istio/pilot:1.23.2"), "1.23.2");
    assert.equal(imageTag("registry.example.com:5000/istio/proxyv2:1.23.2-distroless@sha256:abc"), "1.23.2-distroless");
    assert.equal(imageTag("registry.example.com:5000/istio/proxyv2"), undefined);
  });
});
