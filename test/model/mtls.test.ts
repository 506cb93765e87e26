import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { composePeerAuthentication, modeOnPort } from "../../src/model/mtls.js";
import { peerAuthentication } from "../support/builders.js";

const ROOT = "istio-system";
const APP = { app: "mdm-kernel" };

describe("composePeerAuthentication", () => {
  it("defaults to PERMISSIVE with no policy", () => {
    const effective = composePeerAuthentication([], ROOT, "sre", APP);
    assert.equal(effective.mode, "PERMISSIVE");
    assert.equal(effective.mesh, undefined);
  });

  it("applies mesh, then namespace, then workload", () => {
    const policies = [
      peerAuthentication(ROOT, "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("sre", "default", { mtls: { mode: "PERMISSIVE" } }),
    ];
    assert.equal(composePeerAuthentication(policies, ROOT, "sre", APP).mode, "PERMISSIVE");
    assert.equal(composePeerAuthentication(policies, ROOT, "other", APP).mode, "STRICT");

    const withWorkload = [
      ...policies,
      peerAuthentication("sre", "kernel", { selector: { matchLabels: APP }, mtls: { mode: "STRICT" } }),
    ];
    const effective = composePeerAuthentication(withWorkload, ROOT, "sre", APP);
    assert.equal(effective.mode, "STRICT");
    assert.equal(effective.workload, "PeerAuthentication sre/kernel");
    assert.equal(effective.namespace, "PeerAuthentication sre/default");
    assert.equal(effective.mesh, "PeerAuthentication istio-system/default");
  });

  it("lets the oldest policy win within a level", () => {
    const policies = [
      peerAuthentication("sre", "newer", { mtls: { mode: "STRICT" } }, "2026-06-28T19:00:00Z"),
      peerAuthentication("sre", "older", { mtls: { mode: "DISABLE" } }, "2026-06-01T00:00:00Z"),
    ];
    const effective = composePeerAuthentication(policies, ROOT, "sre", APP);
    assert.equal(effective.mode, "DISABLE");
    assert.equal(effective.namespace, "PeerAuthentication sre/older");
    assert.deepEqual(effective.ignored, [
      {
        subject: "PeerAuthentication sre/newer",
        reason: "an older namespace-wide policy (PeerAuthentication sre/older) wins",
      },
    ]);
  });

  it("inherits through UNSET and absent modes", () => {
    const policies = [
      peerAuthentication(ROOT, "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("sre", "default", { mtls: { mode: "UNSET" } }),
      peerAuthentication("sre", "kernel", { selector: { matchLabels: APP } }),
    ];
    const effective = composePeerAuthentication(policies, ROOT, "sre", APP);
    assert.equal(effective.mode, "STRICT");
    assert.equal(effective.workload, "PeerAuthentication sre/kernel");
  });

  it("keys port-level settings by container port", () => {
    // Service port 80 targets container port 8080: only the container port key applies.
    const policies = [
      peerAuthentication(ROOT, "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("sre", "kernel", {
        selector: { matchLabels: APP },
        portLevelMtls: { "8080": { mode: "PERMISSIVE" }, "9090": { mode: "UNSET" } },
      }),
    ];
    const effective = composePeerAuthentication(policies, ROOT, "sre", APP);
    assert.equal(modeOnPort(effective, 8080), "PERMISSIVE");
    assert.equal(modeOnPort(effective, 9090), "STRICT");
    assert.equal(modeOnPort(effective, 15090), "STRICT");
  });

  it("does not apply a port key that is a Service port", () => {
    const policies = [
      peerAuthentication(ROOT, "default", { mtls: { mode: "STRICT" } }),
      peerAuthentication("sre", "kernel", {
        selector: { matchLabels: APP },
        portLevelMtls: { "80": { mode: "PERMISSIVE" } },
      }),
    ];
    const effective = composePeerAuthentication(policies, ROOT, "sre", APP);
    // The pod listens on 8080; the key 80 names the Service port, which sidecars never see.
    assert.equal(modeOnPort(effective, 8080), "STRICT");
  });

  it("ignores port-level settings without a selector", () => {
    const policies = [
      peerAuthentication("sre", "default", {
        mtls: { mode: "STRICT" },
        portLevelMtls: { "8080": { mode: "DISABLE" } },
      }),
    ];
    const effective = composePeerAuthentication(policies, ROOT, "sre", APP);
    assert.equal(modeOnPort(effective, 8080), "STRICT");
    assert.deepEqual(effective.ignored, [
      { subject: "PeerAuthentication sre/default", reason: "portLevelMtls is ignored on a policy without a selector" },
    ]);
  });

  it("ignores a selector policy in the root namespace", () => {
    const policies = [
      peerAuthentication(ROOT, "kernel-strict", { selector: { matchLabels: APP }, mtls: { mode: "STRICT" } }),
    ];
    const effective = composePeerAuthentication(policies, ROOT, "sre", APP);
    assert.equal(effective.mode, "PERMISSIVE");
    assert.equal(effective.workload, undefined);
    assert.equal(effective.ignored[0]?.subject, "PeerAuthentication istio-system/kernel-strict");
  });

  it("treats an empty matchLabels in the root namespace as the mesh policy", () => {
    const policies = [peerAuthentication(ROOT, "mesh", { selector: { matchLabels: {} }, mtls: { mode: "STRICT" } })];
    assert.equal(composePeerAuthentication(policies, ROOT, "sre", APP).mode, "STRICT");
  });
});
