import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { type GateOptions, gateCommand } from "../../src/cli/gate.js";
import { UserError } from "../../src/errors.js";

const repo = resolve(import.meta.dirname, "../..");

let outputCounter = 0;

/** Runs gateCommand with its output written to a temporary file, and reads it back. */
async function captureGate(phaseId: string, options: GateOptions): Promise<{ code: number; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), "meshproof-gate-output-"));
  const output = join(dir, `gate-${++outputCounter}.out`);
  try {
    const code = await gateCommand(phaseId, { ...options, output });
    return { code, stdout: await readFile(output, "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const PLAN = `apiVersion: meshproof.dev/v1alpha1
kind: RolloutPlan
metadata: { name: gate-test }
spec:
  trustDomain: insignia.tech
  mesh: { namespaces: [sre] }
  phases:
    current: { id: apps, mtls: PERMISSIVE }
    next:
      - { id: mesh-workers, type: mesh-workloads, workloads: [{ namespace: sre, name: worker }] }
      - { id: strict, type: strict }
`;

const SNAPSHOT = `apiVersion: v1
kind: Namespace
metadata: { name: sre, labels: { istio-injection: enabled, kubernetes.io/metadata.name: sre } }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: worker, namespace: sre }
spec:
  selector: { matchLabels: { app: worker } }
  template:
    metadata: { labels: { app: worker } }
    spec: { containers: [{ name: app, image: worker:1 }] }
`;

describe("meshproof gate", () => {
  let dir = "";
  let options: GateOptions;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "meshproof-gate-"));
    await writeFile(join(dir, "plan.yaml"), PLAN);
    await writeFile(join(dir, "cluster.yaml"), SNAPSHOT);
    options = { snapshot: join(dir, "cluster.yaml"), plan: join(dir, "plan.yaml"), requestTimeout: 15, format: "text" };
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("rejects an unknown phase and lists the plan's phase ids", async () => {
    await assert.rejects(gateCommand("flip", options), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.message, 'unknown phase "flip": the plan\'s next phases are mesh-workers, strict.');
      return true;
    });
  });

  it("needs a plan", async () => {
    await assert.rejects(gateCommand("strict", { ...options, plan: undefined }), /meshproof gate needs --plan FILE/);
  });

  it("prints only the gate and exits 0 on GO", async () => {
    const { code, stdout } = await captureGate("mesh-workers", options);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^meshproof gate mesh-workers: GO\n/);
    assert.match(stdout, /MP-GATE-mesh-workers Phase mesh-workers is safe to start/);
    assert.doesNotMatch(stdout, /MP-MTLS-0/);
  });

  it("prints JSON and exits 1 when the gate is not GO", async () => {
    const { code, stdout } = await captureGate("strict", { ...options, format: "json" });
    const parsed = JSON.parse(stdout) as {
      format: string;
      phase: string;
      decision: string;
      gate: { id: string; verdict: string };
    };
    assert.equal(code, 1);
    assert.equal(parsed.format, "meshproof.dev/gate-result/v1");
    assert.equal(parsed.phase, "strict");
    assert.equal(parsed.decision, "UNDECIDED");
    assert.equal(parsed.gate.id, "MP-GATE-strict");
    assert.equal(parsed.gate.verdict, "unknown");
  });
});

const example = join(repo, "examples");
describe("meshproof gate on the bundled example", {
  skip: existsSync(join(example, "plan.yaml")) ? false : "examples/plan.yaml is absent",
}, () => {
  const options: GateOptions = {
    snapshot: join(example, "snapshot"),
    plan: join(example, "plan.yaml"),
    requestTimeout: 15,
    format: "json",
  };
  type Gate = {
    decision: string;
    gate: { findings: Array<{ subject: string; verdict: string; message: string }>; summary: string };
  };
  const gateOf = async (phase: string): Promise<{ code: number; result: Gate }> => {
    const { code, stdout } = await captureGate(phase, options);
    return { code, result: JSON.parse(stdout) as Gate };
  };

  it("is NO-GO for STRICT, naming ingress-nginx calling mdm-kernel and mdm-ai in plaintext", async () => {
    const { code, result } = await gateOf("strict");
    const blocking = result.gate.findings.filter((finding) => finding.verdict === "fail");

    assert.equal(code, 1);
    assert.equal(result.decision, "NO-GO");
    for (const target of ["mdm-kernel", "mdm-ai"]) {
      assert.ok(
        blocking.some(
          (finding) =>
            finding.subject === `Deployment sre/${target}` &&
            /^ingress-nginx \(Deployment ingress-nginx\/ingress-nginx-controller\) calls port 8080 in plaintext/.test(
              finding.message,
            ),
        ),
        `no blocking ingress-nginx finding for ${target}`,
      );
    }
  });

  it("lists the External Secrets Operator calling Vault as not blocking", async () => {
    const { result } = await gateOf("strict");
    const vault = result.gate.findings.find((finding) => /External Secrets Operator/.test(finding.message));
    assert.equal(vault?.verdict, "info");
    assert.match(
      vault!.message,
      /Not blocking: vault has no sidecar, so STRICT cannot affect it\. Its exception PeerAuthentication vault\/vault-permissive is inert until vault is meshed/,
    );
  });

  it("refers to the shared ServiceAccount and the undeclared pool port", async () => {
    const { result } = await gateOf("strict");
    assert.ok(
      result.gate.findings.some(
        (finding) => finding.subject === "ServiceAccount sre/default" && /^MP-AUTHZ-01: /.test(finding.message),
      ),
    );
    assert.ok(result.gate.findings.some((finding) => /25061/.test(finding.message)));
  });

  it("names the crash-looping worker and its SPIRE registration for mesh-workers", async () => {
    const { result } = await gateOf("mesh-workers");
    const loop = result.gate.findings.find(
      (finding) => finding.verdict === "fail" && /crash-looping/.test(finding.message),
    );
    assert.equal(result.decision, "NO-GO");
    assert.equal(loop?.subject, "Deployment sre/mdm-projection-worker");
    assert.match(loop!.message, /Its namespace sre is covered by SPIRE registration/);
  });
});
