import * as assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadAll } from "js-yaml";
import { COLLECTED_KINDS } from "../../src/collect/kinds.js";
import { collectLive } from "../../src/collect/live/collect.js";
import type { KubeObject } from "../../src/model/kube.js";
import { startTestCluster } from "../support/live-cluster.js";
import { testPlan } from "../support/live-fixture.js";
import type { PolicyRule } from "../support/rbac.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

async function rbacDocuments(): Promise<KubeObject[]> {
  const text = await readFile(join(repoRoot, "deploy/rbac.yaml"), "utf8");
  return loadAll(text) as KubeObject[];
}

async function readerRole(): Promise<KubeObject> {
  const role = (await rbacDocuments()).find((document) => document.kind === "ClusterRole");
  assert.ok(role, "deploy/rbac.yaml has a ClusterRole");
  return role;
}

/** Copy the reader role with `resource` taken out of every rule. */
function without(role: KubeObject, resource: string): KubeObject {
  const rules = (role.rules as PolicyRule[]).map((rule) => ({
    ...rule,
    resources: (rule.resources ?? []).filter((candidate) => candidate !== resource),
  }));
  return { ...role, rules };
}

describe("deploy/rbac.yaml", () => {
  test("grants list on exactly the collected kinds", async () => {
    const role = await readerRole();
    assert.equal(role.metadata.name, "meshproof-reader");
    const granted = new Set<string>();
    for (const rule of role.rules as PolicyRule[]) {
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          if (resource.includes("/")) continue;
          assert.deepEqual(rule.verbs, ["list"], `${resource}.${group}`);
          granted.add(`${group}/${resource}`);
        }
      }
      assert.equal(rule.nonResourceURLs, undefined);
      assert.equal(rule.resourceNames, undefined);
    }
    const expected = new Set(COLLECTED_KINDS.map((kind) => `${kind.group}/${kind.plural}`));
    assert.deepEqual([...granted].sort(), [...expected].sort());
    assert.ok(![...granted].some((entry) => entry.endsWith("/secrets")));
  });

  test("grants only get and create on the two pod subresources", async () => {
    const role = await readerRole();
    const subresourceRules = (role.rules as PolicyRule[]).filter((rule) =>
      (rule.resources ?? []).some((resource) => resource.includes("/")),
    );
    assert.deepEqual(subresourceRules, [
      { apiGroups: [""], resources: ["pods/exec", "pods/portforward"], verbs: ["get", "create"] },
    ]);
  });

  test("binds the role to the meshproof service account", async () => {
    const documents = await rbacDocuments();
    const binding = documents.find((document) => document.kind === "ClusterRoleBinding");
    assert.deepEqual(binding?.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "meshproof-reader",
    });
    assert.deepEqual(binding?.subjects, [{ kind: "ServiceAccount", name: "meshproof", namespace: "meshproof" }]);
    assert.deepEqual(
      documents.map((document) => document.kind),
      ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding"],
    );
  });

  test("is enough for a full collection", async () => {
    const cluster = await startTestCluster({ rbac: [await readerRole()], servedKinds: ["AuthorizationPolicy"] });
    try {
      const state = await collectLive({ kubeconfig: cluster.kubeconfig, plan: testPlan(), retry: { baseDelayMs: 10 } });
      assert.deepEqual(
        state.collectionIssues.filter((issue) => issue.reason === "forbidden"),
        [],
      );
      assert.deepEqual(
        state.evidence.filter((item) => item.error).map((item) => item.id),
        [],
      );
      assert.equal(cluster.fake.audit.filter((entry) => entry.status === 403).length, 0);
    } finally {
      await cluster.close();
    }
  });
});

describe("collection under narrower RBAC", () => {
  test("missing list on pods gives a forbidden issue", async () => {
    const cluster = await startTestCluster({ rbac: [without(await readerRole(), "pods")] });
    try {
      const state = await collectLive({ kubeconfig: cluster.kubeconfig, plan: testPlan(), retry: { baseDelayMs: 10 } });
      const issue = state.collectionIssues.find((candidate) => candidate.resource === "pods");
      assert.equal(issue?.reason, "forbidden");
      assert.equal(issue?.permission, "list pods");
      assert.match(
        issue?.message ?? "",
        /pods is forbidden: User "system:serviceaccount:meshproof:meshproof" cannot list resource "pods" in API group "" at the cluster scope/,
      );
      assert.equal(cluster.fake.audit.filter((entry) => entry.path === "/api/v1/pods").length, 1, "no retry");
      assert.ok(
        state.objects.some((object) => object.kind === "Deployment"),
        "the run went on",
      );
    } finally {
      await cluster.close();
    }
  });

  test("missing pods/exec marks SPIRE evidence forbidden", async () => {
    const cluster = await startTestCluster({ rbac: [without(await readerRole(), "pods/exec")] });
    try {
      const state = await collectLive({ kubeconfig: cluster.kubeconfig, plan: testPlan(), retry: { baseDelayMs: 10 } });
      const spire = state.evidence.filter((item) => item.type === "spire-cli");
      assert.equal(spire.length, 4);
      for (const item of spire) {
        assert.equal(item.error?.reason, "forbidden");
        assert.equal(item.error?.permission, "create pods/exec");
      }
      const certs = state.evidence.filter((item) => item.type === "served-certificate");
      assert.ok(certs.every((item) => item.error === undefined));
    } finally {
      await cluster.close();
    }
  });

  test("missing pods/portforward marks certificate evidence forbidden", async () => {
    const cluster = await startTestCluster({ rbac: [without(await readerRole(), "pods/portforward")] });
    try {
      const state = await collectLive({ kubeconfig: cluster.kubeconfig, plan: testPlan(), retry: { baseDelayMs: 10 } });
      const forwarded = state.evidence.filter(
        (item) => item.type === "served-certificate" || item.type === "istiod-debug-mesh",
      );
      assert.equal(forwarded.length, 4);
      for (const item of forwarded) {
        assert.equal(item.error?.reason, "forbidden");
        assert.equal(item.error?.permission, "create pods/portforward");
      }
    } finally {
      await cluster.close();
    }
  });
});
