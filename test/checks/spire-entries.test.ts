import * as assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseEntryList, spireChecks } from "../../src/checks/spire.js";
import type { CheckDefinition, CheckResult } from "../../src/checks/types.js";
import type { CollectedState, SpireCliEvidence } from "../../src/collect/types.js";
import type { KubeObject } from "../../src/model/kube.js";
import { runCheck } from "../../src/run/run.js";
import { deploymentWithPods, meshConfigMap, modelOf, node, plan } from "../support/builders.js";

const TRUST_DOMAIN = "insignia.tech";
const check = spireChecks.find((candidate) => candidate.id === "MP-SP-05") as CheckDefinition;

function agentIdOf(nodeObject: KubeObject): string {
  return `spiffe://${TRUST_DOMAIN}/spire/agent/k8s_psat/demo/${nodeObject.metadata.uid}`;
}

function spireCli(args: string[], result: Partial<SpireCliEvidence>): SpireCliEvidence {
  return {
    type: "spire-cli",
    id: `spire:${args.slice(0, 2).join("-")}`,
    command: `kubectl -n spire-server exec spire-server-0 -c spire-server -- /opt/spire/bin/spire-server ${args.join(" ")}`,
    output: "",
    at: "2026-06-28T21:39:00Z",
    durationMs: 30,
    attempts: 1,
    pod: "spire-server-0",
    namespace: "spire-server",
    args,
    exitCode: 0,
    stdout: "",
    stderr: "",
    ...result,
  };
}

/** `spire-server agent list -output json` with one k8s_psat agent per node. */
function agentList(nodes: KubeObject[]): SpireCliEvidence {
  const agents = nodes.map((nodeObject) => ({
    id: { trust_domain: TRUST_DOMAIN, path: new URL(agentIdOf(nodeObject)).pathname },
    attestation_type: "k8s_psat",
    x509svid_serial_number: "1",
    x509svid_expires_at: "1893456000",
    selectors: [
      { type: "k8s_psat", value: `agent_node_name:${nodeObject.metadata.name}` },
      { type: "k8s_psat", value: `agent_node_uid:${nodeObject.metadata.uid}` },
    ],
    banned: false,
    can_reattest: true,
  }));
  return spireCli(["agent", "list", "-output", "json"], { stdout: JSON.stringify({ agents, next_page_token: "" }) });
}

interface EntryOptions {
  uid: string;
  path?: string;
  parent: string;
}

/** `spire-server entry show -output json` in the protojson shape spire-server 1.x prints. */
function entryShow(entries: EntryOptions[]): SpireCliEvidence {
  const printed = entries.map((entry, index) => ({
    id: `00000000-0000-0000-0000-00000000000${index}`,
    spiffe_id: { trust_domain: TRUST_DOMAIN, path: entry.path ?? "/ns/sre/sa/default" },
    parent_id: { trust_domain: TRUST_DOMAIN, path: new URL(entry.parent).pathname },
    selectors: [{ type: "k8s", value: `pod-uid:${entry.uid}` }],
    x509_svid_ttl: 0,
    federates_with: [],
    admin: false,
    downstream: false,
    expires_at: "0",
    dns_names: [],
    revision_number: "0",
    store_svid: false,
    jwt_svid_ttl: 0,
  }));
  return spireCli(["entry", "show", "-output", "json"], {
    stdout: JSON.stringify({ entries: printed, next_page_token: "" }),
  });
}

/** Two meshed Deployments on two nodes, an unmeshed one, and a meshed pod that is still Pending. */
function cluster() {
  const nodes = [node("node-a"), node("node-b")];
  const kernel = deploymentWithPods({
    namespace: "sre",
    name: "mdm-kernel",
    sidecar: "native",
    pods: [{ nodeName: "node-a" }],
  });
  const ai = deploymentWithPods({
    namespace: "sre",
    name: "mdm-ai",
    sidecar: "classic",
    serviceAccount: "mdm-ai",
    pods: [{ nodeName: "node-b" }, { nodeName: "node-a", waiting: "PodInitializing" }],
  });
  const redis = deploymentWithPods({ namespace: "sre", name: "redis", pods: [{ nodeName: "node-b" }] });
  const objects = [...nodes, meshConfigMap(`trustDomain: ${TRUST_DOMAIN}\n`), ...kernel, ...ai, ...redis];
  const podByName = (name: string) => {
    const found = objects.find((object) => object.kind === "Pod" && object.metadata.name === name);
    assert.ok(found, `pod ${name} in the fixture`);
    return found;
  };
  return {
    objects,
    nodes,
    kernelPod: podByName("mdm-kernel-abc12-p0"),
    aiPod: podByName("mdm-ai-abc12-p0"),
    aiPendingPod: podByName("mdm-ai-abc12-p1"),
    redisPod: podByName("redis-abc12-p0"),
  };
}

function run(objects: KubeObject[], overrides: Partial<CollectedState>): CheckResult {
  return runCheck(check, modelOf(objects, plan(), overrides), plan());
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

describe("MP-SP-05 registration entries", () => {
  test("passes when every Running meshed pod has its entry", () => {
    const fixture = cluster();
    const [nodeA, nodeB] = fixture.nodes as [KubeObject, KubeObject];
    const result = run(fixture.objects, {
      live: true,
      evidence: [
        agentList(fixture.nodes),
        entryShow([
          { uid: fixture.kernelPod.metadata.uid as string, parent: agentIdOf(nodeA) },
          { uid: fixture.aiPod.metadata.uid as string, path: "/ns/sre/sa/mdm-ai", parent: agentIdOf(nodeB) },
        ]),
      ],
    });
    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), ["pass Deployment sre/mdm-kernel", "pass Deployment sre/mdm-ai"]);
    assert.equal(
      result.summary,
      "2/2 Running meshed pods have a registration entry for their expected SPIFFE IDs, each parented by the agent on its node.",
    );
    assert.match(result.findings[0]?.message ?? "", /for 1\/1 Running meshed pods, each parented by the agent/);
    const table = result.evidence[0]?.output ?? "";
    assert.match(table, /^2 entries\n/);
    assert.match(table, /sre\/mdm-ai-abc12-p0 .* spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/mdm-ai/);
    assert.doesNotMatch(table, /redis|p1/, "only Running meshed pods are listed");
    assert.equal(result.evidence[0]?.source, "live");
  });

  test("fails a meshed pod without an entry", () => {
    const fixture = cluster();
    const [nodeA] = fixture.nodes as [KubeObject, KubeObject];
    const result = run(fixture.objects, {
      live: true,
      evidence: [
        agentList(fixture.nodes),
        entryShow([{ uid: fixture.kernelPod.metadata.uid as string, parent: agentIdOf(nodeA) }]),
      ],
    });
    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail Pod sre/mdm-ai-abc12-p0", "pass Deployment sre/mdm-kernel"]);
    const missing = result.findings[0];
    assert.match(
      missing?.message ?? "",
      new RegExp(`No registration entry has selector k8s:pod-uid:${fixture.aiPod.metadata.uid}`),
    );
    assert.match(missing?.message ?? "", /expected spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/mdm-ai/);
    assert.match(missing?.hint ?? "", /kubectl -n spire-server logs spire-server-0 -c spire-controller-manager/);
    assert.match(
      missing?.hint ?? "",
      new RegExp(`spire-server entry show -selector k8s:pod-uid:${fixture.aiPod.metadata.uid}$`),
    );
    assert.equal(result.summary, "1 of 2 Running meshed pods lack a correct registration entry: sre/mdm-ai-abc12-p0.");
  });

  test("fails a wrong SPIFFE ID and a wrong parent", () => {
    const fixture = cluster();
    const [nodeA, nodeB] = fixture.nodes as [KubeObject, KubeObject];
    const result = run(fixture.objects, {
      live: true,
      evidence: [
        agentList(fixture.nodes),
        entryShow([
          { uid: fixture.kernelPod.metadata.uid as string, path: "/app/mdm-kernel", parent: agentIdOf(nodeA) },
          { uid: fixture.aiPod.metadata.uid as string, path: "/ns/sre/sa/mdm-ai", parent: agentIdOf(nodeA) },
        ]),
      ],
    });
    assert.equal(result.verdict, "fail");
    assert.deepEqual(pairs(result), ["fail Pod sre/mdm-kernel-abc12-p0", "fail Pod sre/mdm-ai-abc12-p0"]);
    assert.match(
      result.findings[0]?.message ?? "",
      /SPIFFE ID spiffe:\/\/insignia\.tech\/app\/mdm-kernel, not the expected spiffe:\/\/insignia\.tech\/ns\/sre\/sa\/default/,
    );
    assert.match(
      result.findings[1]?.message ?? "",
      new RegExp(`parent ${agentIdOf(nodeA)}, not the agent on node node-b \\(${agentIdOf(nodeB)}\\)`),
    );
  });

  test("leaves parents unchecked without an agent list", () => {
    const fixture = cluster();
    const [nodeA] = fixture.nodes as [KubeObject, KubeObject];
    const result = run(fixture.objects, {
      live: true,
      evidence: [
        entryShow([
          { uid: fixture.kernelPod.metadata.uid as string, parent: agentIdOf(nodeA) },
          { uid: fixture.aiPod.metadata.uid as string, path: "/ns/sre/sa/mdm-ai", parent: agentIdOf(nodeA) },
        ]),
      ],
    });
    assert.equal(result.verdict, "pass");
    assert.deepEqual(pairs(result), ["pass Deployment sre/mdm-kernel", "pass Deployment sre/mdm-ai"]);
    assert.match(
      result.findings[0]?.message ?? "",
      /parents not compared with the node's agent, because no `spire-server agent list` result was recorded/,
    );
    assert.match(result.summary, /; parents not compared \(agent list not read\)\.$/);
  });

  test("is unknown when the agent list failed", () => {
    const fixture = cluster();
    const [nodeA, nodeB] = fixture.nodes as [KubeObject, KubeObject];
    const failedList = spireCli(["agent", "list", "-output", "json"], { exitCode: 1, stderr: "connection refused\n" });
    const result = run(fixture.objects, {
      live: true,
      evidence: [
        failedList,
        entryShow([
          { uid: fixture.kernelPod.metadata.uid as string, parent: agentIdOf(nodeA) },
          { uid: fixture.aiPod.metadata.uid as string, path: "/ns/sre/sa/mdm-ai", parent: agentIdOf(nodeB) },
        ]),
      ],
    });
    assert.equal(result.verdict, "unknown");
    assert.deepEqual(pairs(result), [
      "pass Deployment sre/mdm-kernel",
      "pass Deployment sre/mdm-ai",
      "unknown Pod spire-server/spire-server-0",
    ]);
    assert.match(result.findings[2]?.message ?? "", /spire-server agent list exited 1/);
  });

  test("is unknown when entry show could not run", () => {
    const fixture = cluster();
    const forbidden = spireCli(["entry", "show", "-output", "json"], {
      exitCode: undefined,
      error: {
        reason: "forbidden",
        message: "403 Forbidden: exec into pod spire-server/spire-server-0 was denied",
        permission: "create pods/exec",
      },
    });
    const result = run(fixture.objects, { live: true, evidence: [agentList(fixture.nodes), forbidden] });
    assert.equal(result.verdict, "unknown");
    assert.deepEqual(pairs(result), ["unknown Pod spire-server/spire-server-0"]);
    assert.match(result.findings[0]?.message ?? "", /could not run \(forbidden\): 403 Forbidden/);
    assert.match(result.findings[0]?.hint ?? "", /Grant "create pods\/exec"/);
    assert.match(result.summary, /^Unknown: spire-server entry show could not run \(forbidden\)/);
  });

  test("is unknown when the output is not entry JSON", () => {
    const fixture = cluster();
    const pretty = spireCli(["entry", "show", "-output", "json"], { stdout: "Found 2 entries\nEntry ID : x\n" });
    const result = run(fixture.objects, { live: true, evidence: [pretty] });
    assert.equal(result.verdict, "unknown");
    assert.match(result.findings[0]?.message ?? "", /not the expected JSON/);
  });

  test("skips on snapshot input", () => {
    const fixture = cluster();
    const result = run(fixture.objects, { live: false, evidence: [] });
    assert.equal(result.verdict, "skip");
    assert.deepEqual(pairs(result), ["skip StatefulSet spire-server"]);
    assert.match(result.findings[0]?.message ?? "", /snapshot input; a live run execs it .* 2 Running meshed pods/);
  });

  test("is unknown on a live run without the evidence", () => {
    const fixture = cluster();
    const result = run(fixture.objects, { live: true, evidence: [] });
    assert.equal(result.verdict, "unknown");
    assert.match(result.findings[0]?.message ?? "", /recorded no `spire-server entry show` result/);
  });

  test("is unknown when pods could not be listed", () => {
    const fixture = cluster();
    const result = run(fixture.objects, {
      live: true,
      evidence: [entryShow([])],
      collectionIssues: [{ resource: "pods", reason: "forbidden", message: "403", permission: "list pods" }],
    });
    assert.equal(result.verdict, "unknown");
    assert.match(result.summary, /needs list pods/);
  });
});

describe("parseEntryList", () => {
  test("reads IDs as objects or strings", () => {
    const stdout = JSON.stringify({
      entries: [
        {
          id: "e1",
          spiffe_id: "spiffe://td/ns/a/sa/b",
          parent_id: { trust_domain: "td", path: "/spire/agent/x" },
          selectors: [
            { type: "k8s", value: "pod-uid:u1" },
            { type: "k8s", value: "ns:a" },
          ],
        },
      ],
    });
    assert.deepEqual(parseEntryList(stdout), [
      { id: "e1", spiffeId: "spiffe://td/ns/a/sa/b", parentId: "spiffe://td/spire/agent/x", podUids: ["u1"] },
    ]);
  });

  test("treats a missing entries field as none", () => {
    assert.deepEqual(parseEntryList('{"next_page_token":""}'), []);
  });

  test("rejects output that is not the JSON shape", () => {
    assert.equal(parseEntryList("Found 0 entries"), undefined);
    assert.equal(parseEntryList('{"entries":{}}'), undefined);
  });
});
