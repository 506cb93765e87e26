import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { probeChecks } from "../../src/checks/probes.js";
import type { HttpProbeEvidence } from "../../src/collect/types.js";
import { runCheck } from "../../src/run/run.js";
import { modelOf, plan } from "../support/builders.js";

const check = probeChecks[0]!;
const probes = [
  {
    name: "kernel",
    url: "https://kernel.example.com/healthz",
    expectedStatus: 200,
    workload: "Deployment sre/mdm-kernel",
    description: "ingress to meshed kernel",
  },
  {
    name: "keycloak",
    url: "https://auth.example.com/",
    expectedStatus: 302,
    workload: "Deployment keycloak/keycloak",
    control: true,
    description: "control outside the mesh",
  },
];

function recorded(probe: string, status: number | undefined, error?: string): HttpProbeEvidence {
  return {
    type: "http-probe",
    id: `probe:${probe}`,
    probe,
    method: "GET",
    url: "https://x.example.com/",
    expectedStatus: 200,
    status,
    latencyMs: 41.6,
    headers: status ? { server: "istio-envoy", "x-envoy-upstream-service-time": "12" } : {},
    command: "GET https://x.example.com/",
    output: status ? `HTTP ${status}` : "",
    at: "2026-06-28T21:40:00Z",
    durationMs: 42,
    attempts: error ? 3 : 1,
    error: error ? { reason: "timeout", message: error } : undefined,
  };
}

describe("MP-PROBE-01", () => {
  it("skips probes when reading a snapshot without results", () => {
    const result = runCheck(check, modelOf([]), plan({ probes }));
    assert.equal(result.verdict, "skip");
    assert.match(result.findings[0]?.message ?? "", /a live run sends GET https:\/\/kernel\.example\.com\/healthz/);
  });

  it("passes when every probe answers as expected", () => {
    const model = modelOf([], undefined, {
      live: true,
      evidence: [recorded("kernel", 200), recorded("keycloak", 302)],
    });
    const result = runCheck(check, model, plan({ probes }));
    assert.equal(result.verdict, "pass");
    assert.equal(result.summary, "HTTP 200, 302: all 2 paths answer as expected.");
    assert.match(result.findings[0]?.message ?? "", /server: istio-envoy, x-envoy-upstream-service-time: 12/);
  });

  it("fails a wrong status and counts it as an outage", () => {
    const model = modelOf([], undefined, {
      live: true,
      evidence: [recorded("kernel", 503), recorded("keycloak", 302)],
    });
    const result = runCheck(check, model, plan({ probes }));
    assert.equal(result.verdict, "fail");
    assert.deepEqual(result.facts?.outages, ["Deployment sre/mdm-kernel"]);
    assert.match(result.findings[0]?.message ?? "", /HTTP 503, expected 200/);
  });

  it("fails a probe without response", () => {
    const model = modelOf([], undefined, {
      live: true,
      evidence: [recorded("kernel", undefined, "timed out after 10 s"), recorded("keycloak", 302)],
    });
    const result = runCheck(check, model, plan({ probes }));
    assert.equal(result.findings[0]?.verdict, "fail");
    assert.match(result.findings[0]?.message ?? "", /received no response after 3 attempts: timed out after 10 s/);
  });

  it("is unknown when a live run recorded nothing", () => {
    const model = modelOf([], undefined, { live: true, evidence: [recorded("keycloak", 302)] });
    const result = runCheck(check, model, plan({ probes }));
    assert.equal(result.findings[0]?.verdict, "unknown");
  });
});
