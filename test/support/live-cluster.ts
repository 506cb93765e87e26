import type { KubeObject } from "../../src/model/kube.js";
import { type StubServer, startEnvoyAdmin, startIstiodDebug } from "./envoy-admin.js";
import { type ExecHandler, FakeApiServer, type FakeApiServerOptions } from "./fake-apiserver.js";
import { clusterObjects, mintTestChains, type TestChains, TRUST_DOMAIN } from "./live-fixture.js";

/**
 * The fake API server wired to the fixture cluster. Exec into spire-server-0 returns output for the
 * four spire-server commands, and port-forwards reach local stand-ins for each meshed pod's Envoy
 * admin and for istiod's debug port.
 */

export const SPIRE_OUTPUTS: Record<string, { stdout: string; stderr?: string; exitCode?: number }> = {
  healthcheck: { stdout: "Server is healthy.\n" },
  "agent list -output json": {
    stdout: JSON.stringify({ agents: [{ id: { trust_domain: TRUST_DOMAIN, path: "/spire/agent/k8s_psat/c/n1" } }] }),
  },
  "entry show -output json": {
    stdout: JSON.stringify({ entries: [{ spiffe_id: { trust_domain: TRUST_DOMAIN, path: "/ns/sre/sa/default" } }] }),
  },
  "bundle show -format spiffe": { stdout: JSON.stringify({ keys: [] }) },
};

export const spireExecHandler: ExecHandler = (call) => {
  const args = call.argv.slice(1).join(" ");
  return SPIRE_OUTPUTS[args] ?? { stderr: `unknown command ${args}\n`, exitCode: 1 };
};

export interface TestCluster {
  fake: FakeApiServer;
  kubeconfig: string;
  chains: TestChains;
  stubs: { spire: StubServer; istiod: StubServer; expired: StubServer; debug: StubServer };
  close(): Promise<void>;
}

export async function startTestCluster(
  options: Partial<FakeApiServerOptions> & { extraObjects?: KubeObject[] } = {},
): Promise<TestCluster> {
  const chains = await mintTestChains();
  const spire = await startEnvoyAdmin({
    chainPem: chains.spireChainPem,
    root: { type: "spiffe", trustDomains: [{ name: TRUST_DOMAIN, bundlePem: chains.spireBundlePem }] },
  });
  const istiod = await startEnvoyAdmin({
    chainPem: chains.istiodChainPem,
    root: { type: "trusted-ca", pem: chains.istiodRootPem },
  });
  const expired = await startEnvoyAdmin({
    chainPem: chains.expiredChainPem,
    root: { type: "spiffe", trustDomains: [{ name: TRUST_DOMAIN, bundlePem: chains.spireBundlePem }] },
  });
  const debug = await startIstiodDebug({
    trustDomain: TRUST_DOMAIN,
    enableAutoMtls: true,
    rootNamespace: "istio-system",
  });
  const forwards: Record<string, number> = {
    "sre/mdm-kernel-7d9f-abcde:15000": spire.port,
    "sre/legacy-api-5c8b-xyz12:15000": istiod.port,
    "sre/old-worker-0:15000": expired.port,
    "istio-system/istiod-6b7c9d-q4x2z:15014": debug.port,
  };
  const { extraObjects, ...fakeOptions } = options;
  const fake = await FakeApiServer.start({
    objects: [...clusterObjects(), ...(extraObjects ?? [])],
    exec: spireExecHandler,
    portForward: (call) => {
      const port = forwards[`${call.namespace}/${call.pod}:${call.port}`];
      return port === undefined ? undefined : { host: "127.0.0.1", port };
    },
    ...fakeOptions,
  });
  const kubeconfig = await fake.writeKubeconfig({ context: "kind-meshproof" });
  return {
    fake,
    kubeconfig,
    chains,
    stubs: { spire, istiod, expired, debug },
    close: async () => {
      await fake.close();
      await Promise.all([spire.close(), istiod.close(), expired.close(), debug.close()]);
    },
  };
}
