import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  isMeshedPod,
  parseCertificateChain,
  parseSecretsConfigDump,
  parseSubjectAltName,
  selectCertificateTargets,
  spiffeIdsOf,
  workloadOf,
} from "../../src/collect/live/envoy-certs.js";
import type { Pod } from "../../src/model/kube.js";
import { secretsConfigDump } from "../support/envoy-admin.js";
import {
  clusterObjects,
  ISTIOD_ID,
  mintTestChains,
  podObject,
  SPIRE_ID,
  type TestChains,
} from "../support/live-fixture.js";
import { mintCertificate } from "../support/pki.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const sharedDumps = join(resolve(repoRoot, "../shared"), "istioctl-output/proxy-config-secret");

describe("subjectAltName parsing", () => {
  test("splits plain names", () => {
    assert.deepEqual(parseSubjectAltName("URI:spiffe://a.test/ns/x/sa/y, DNS:svc.local, IP Address:10.0.0.1"), [
      { type: "URI", value: "spiffe://a.test/ns/x/sa/y" },
      { type: "DNS", value: "svc.local" },
      { type: "IP Address", value: "10.0.0.1" },
    ]);
  });

  test("keeps a quoted value with a comma as one name", () => {
    const crafted = 'URI:"spiffe://example.org/ns/a\\u002c URI:spiffe://evil.org/x", DNS:ok.test';
    assert.deepEqual(parseSubjectAltName(crafted), [
      { type: "URI", value: "spiffe://example.org/ns/a, URI:spiffe://evil.org/x" },
      { type: "DNS", value: "ok.test" },
    ]);
    assert.deepEqual(spiffeIdsOf(crafted), []);
  });

  test("accepts only well-formed SPIFFE IDs", () => {
    assert.deepEqual(
      spiffeIdsOf(
        "URI:spiffe://insignia.tech/ns/sre/sa/default, URI:https://example.test/x, URI:spiffe://UPPER.test/x, URI:spiffe://td/ns/a b",
      ),
      ["spiffe://insignia.tech/ns/sre/sa/default"],
    );
    assert.deepEqual(spiffeIdsOf(undefined), []);
  });

  test("reads a real crafted certificate as Node quotes it", async () => {
    const crafted = await mintCertificate({
      subject: "CN=crafted",
      uriSans: ["spiffe://example.org/ns/a, URI:spiffe://evil.org/x"],
    });
    const names = parseSubjectAltName(new X509Certificate(crafted.pem).subjectAltName);
    assert.deepEqual(names, [{ type: "URI", value: "spiffe://example.org/ns/a, URI:spiffe://evil.org/x" }]);
    const [parsed] = parseCertificateChain(crafted.pem);
    assert.deepEqual(parsed?.uriSans, []);
  });
});

describe("secrets config dump parsing", () => {
  let chains: TestChains;
  before(async () => {
    chains = await mintTestChains();
  });

  test("SPIRE-issued chain with the SPIFFE validator", () => {
    const dump = secretsConfigDump({
      chainPem: chains.spireChainPem,
      root: {
        type: "spiffe",
        trustDomains: [
          { name: "insignia.tech", bundlePem: chains.spireBundlePem },
          { name: "partner.test", bundlePem: chains.spireBundlePem },
        ],
      },
    });
    const identity = parseSecretsConfigDump(dump);
    assert.equal(identity.chain.length, 2);
    const [leaf, ca] = identity.chain;
    assert.equal(leaf?.subject, "C=US, O=SPIRE");
    assert.equal(leaf?.issuer, "C=US, O=SPIFFE");
    assert.deepEqual(leaf?.uriSans, [SPIRE_ID]);
    assert.equal(leaf?.isCa, false);
    assert.match(leaf?.serialNumber ?? "", /^[0-9a-f]+$/);
    assert.match(leaf?.fingerprint256 ?? "", /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.ok(Date.parse(leaf?.validTo ?? "") - Date.parse(leaf?.validFrom ?? "") === 3_600_000);
    assert.equal(ca?.isCa, true);
    assert.equal(identity.validationContext, "spiffe-validator");
    assert.deepEqual(identity.trustDomains, ["insignia.tech", "partner.test"]);
  });

  test("istiod-issued chain with trusted_ca", () => {
    const identity = parseSecretsConfigDump(
      secretsConfigDump({ chainPem: chains.istiodChainPem, root: { type: "trusted-ca", pem: chains.istiodRootPem } }),
    );
    assert.equal(identity.chain[0]?.subject, "");
    assert.equal(identity.chain[0]?.issuer, "O=cluster.local");
    assert.deepEqual(identity.chain[0]?.uriSans, [ISTIOD_ID]);
    assert.equal(identity.validationContext, "trusted-ca");
    assert.equal(identity.trustDomains, undefined);
  });

  test("expired leaf keeps its dates", () => {
    const identity = parseSecretsConfigDump(
      secretsConfigDump({ chainPem: chains.expiredChainPem, root: { type: "trusted-ca", pem: chains.spireBundlePem } }),
    );
    assert.ok(Date.parse(identity.chain[0]?.validTo ?? "") < Date.now());
  });

  test("no default secret gives an empty chain", () => {
    const identity = parseSecretsConfigDump({ configs: [] });
    assert.deepEqual(identity, { chain: [], validationContext: "none" });
  });

  test("camelCase field names as istioctl prints them", () => {
    const inlineBytes = Buffer.from(chains.spireChainPem).toString("base64");
    const dump = {
      configs: [
        {
          "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
          dynamicActiveSecrets: [
            { name: "default", secret: { name: "default", tlsCertificate: { certificateChain: { inlineBytes } } } },
          ],
        },
      ],
    };
    assert.deepEqual(parseSecretsConfigDump(dump).chain[0]?.uriSans, [SPIRE_ID]);
  });

  test("a dump without configs is rejected", () => {
    assert.throws(() => parseSecretsConfigDump({ nothing: true }), /no configs list/);
  });
});

describe("recorded istioctl config dumps", {
  skip: !existsSync(sharedDumps) && "the shared istioctl fixtures are absent",
}, () => {
  test("istiod dump: istiod leaf and trusted_ca root", async () => {
    const dump = JSON.parse(await readFile(join(sharedDumps, "istio/config_dump.json"), "utf8"));
    const identity = parseSecretsConfigDump(dump);
    assert.equal(identity.validationContext, "trusted-ca");
    assert.equal(identity.chain.length, 2);
    const [leaf, root] = identity.chain;
    assert.equal(leaf?.subject, "");
    assert.equal(leaf?.issuer, "O=cluster.local");
    assert.equal(leaf?.serialNumber, "6fbee254c22900615cb1f74e3d2f1713");
    assert.deepEqual(leaf?.uriSans, ["spiffe://cluster.local/ns/ambient/sa/namespace-istio-waypoint"]);
    assert.equal(leaf?.validFrom, "2023-05-15T01:30:52.000Z");
    assert.equal(leaf?.validTo, "2023-05-16T01:32:52.000Z");
    assert.equal(root?.isCa, true);
    assert.equal(root?.subject, "O=cluster.local");
  });

  test("SPIRE dump: SPIRE leaf and two trust domains", async () => {
    const dump = JSON.parse(await readFile(join(sharedDumps, "spire/config_dump.json"), "utf8"));
    const identity = parseSecretsConfigDump(dump);
    assert.equal(identity.validationContext, "spiffe-validator");
    assert.deepEqual(identity.trustDomains, ["east.local", "west.local"]);
    const [leaf, intermediate] = identity.chain;
    assert.equal(leaf?.subject, "C=US, O=SPIRE, x500UniqueIdentifier=7273d2843f917af1709acf61c680cc2c");
    assert.equal(leaf?.issuer, "C=US, O=SPIFFE");
    assert.equal(leaf?.serialNumber, "cd4902e499169b11ec171dad1668adbb");
    assert.deepEqual(leaf?.uriSans, [
      "spiffe://east.local/ns/istio-system/sa/federation-ingress-gateway-service-account",
    ]);
    assert.equal(leaf?.validTo, "2024-10-27T22:44:37.000Z");
    assert.equal(intermediate?.issuer, "O=my-company.org, CN=East Root CA");
    assert.equal(intermediate?.isCa, true);
  });

  test("parsed output holds no key material", async () => {
    for (const name of ["istio", "spire"]) {
      const dump = JSON.parse(await readFile(join(sharedDumps, `${name}/config_dump.json`), "utf8"));
      const text = JSON.stringify(parseSecretsConfigDump(dump));
      assert.doesNotMatch(text, /redacted|PRIVATE|BEGIN/);
    }
  });
});

describe("certificate targets", () => {
  test("native and classic sidecars count as meshed", () => {
    const native = podObject({ namespace: "a", name: "n", sidecar: "native" }) as Pod;
    const classic = podObject({ namespace: "a", name: "c", sidecar: "classic" }) as Pod;
    const none = podObject({ namespace: "a", name: "x" }) as Pod;
    const initNotSidecar = podObject({ namespace: "a", name: "i" }) as Pod;
    initNotSidecar.spec = { ...initNotSidecar.spec, initContainers: [{ name: "istio-proxy" }] };
    assert.equal(isMeshedPod(native), true);
    assert.equal(isMeshedPod(classic), true);
    assert.equal(isMeshedPod(none), false);
    assert.equal(isMeshedPod(initNotSidecar), false);
  });

  test("workload follows ReplicaSet to Deployment", () => {
    const objects = clusterObjects();
    const pod = objects.find((object) => object.metadata.name === "mdm-kernel-7d9f-abcde") as Pod;
    assert.equal(workloadOf(pod, objects), "Deployment sre/mdm-kernel");
    assert.equal(workloadOf(pod, []), "ReplicaSet sre/mdm-kernel-7d9f");
    const bare = podObject({ namespace: "sre", name: "debug" }) as Pod;
    assert.equal(workloadOf(bare, objects), "Pod sre/debug");
  });

  test("one Running meshed pod per workload", () => {
    const objects = [
      ...clusterObjects(),
      podObject({
        namespace: "sre",
        name: "mdm-kernel-7d9f-aaaaa",
        sidecar: "native",
        owner: "ReplicaSet/mdm-kernel-7d9f",
        ready: false,
      }),
    ];
    const targets = selectCertificateTargets(objects);
    assert.deepEqual(
      targets.map((target) => `${target.workload}=${target.pod.metadata.name}`),
      [
        "Deployment sre/legacy-api=legacy-api-5c8b-xyz12",
        "Deployment sre/mdm-kernel=mdm-kernel-7d9f-abcde",
        "StatefulSet sre/old-worker=old-worker-0",
      ],
    );
  });
});
