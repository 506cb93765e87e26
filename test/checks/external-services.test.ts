import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { externalServiceChecks } from "../../src/checks/external-services.js";
import type { CheckResult } from "../../src/checks/types.js";
import type { KubeObject } from "../../src/model/kube.js";
import type { RolloutPlan } from "../../src/plan/schema.js";
import { runCheck } from "../../src/run/run.js";
import {
  configMap,
  deploymentWithPods,
  meshConfigMap,
  modelOf,
  namespace,
  plan,
  resource,
} from "../support/builders.js";

const check = externalServiceChecks[0]!;
const HOST = "db-postgresql-nyc2-00000-do-user-1-0.a.db.ondigitalocean.com";
const PASSWORD = "S3cretPassw0rd-do-not-leak";

const sre = namespace("sre", { "istio-injection": "enabled" });
const allowAny = meshConfigMap("trustDomain: insignia.tech\n");
const registryOnly = meshConfigMap("trustDomain: insignia.tech\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n");

function serviceEntry(
  ports: Array<{ number: number; protocol?: string }>,
  extra: Record<string, unknown> = {},
): KubeObject {
  return resource("networking.istio.io/v1", "ServiceEntry", "sre", "do-postgres", {
    hosts: [HOST],
    location: "MESH_EXTERNAL",
    resolution: "DNS",
    ports: ports.map((port) => ({ name: `tcp-${port.number}`, protocol: "TCP", ...port })),
    ...extra,
  });
}

function destinationRule(trafficPolicy: Record<string, unknown>): KubeObject {
  return resource("networking.istio.io/v1", "DestinationRule", "sre", "do-postgres", { host: HOST, trafficPolicy });
}

const disable = destinationRule({ tls: { mode: "DISABLE" } });

function externalPlan(): RolloutPlan {
  return plan({
    externalServices: [
      {
        name: "managed-postgres",
        host: HOST,
        protocol: "postgres",
        ports: [{ number: 25060 }, { number: 25061, description: "connection pool (PgBouncer)" }],
      },
    ],
  });
}

/** mdm-kernel dials 25060 through a connection string; mdm-ai reads its DSN from a Secret. */
function clients(kernelUrl = `postgresql://app:${PASSWORD}@${HOST}:25060/defaultdb?sslmode=require`): KubeObject[] {
  return [
    ...deploymentWithPods({
      namespace: "sre",
      name: "mdm-kernel",
      sidecar: "native",
      pods: [{ env: [{ name: "DATABASE_URL", value: kernelUrl }] }],
    }),
    ...deploymentWithPods({
      namespace: "sre",
      name: "mdm-ai",
      sidecar: "classic",
      pods: [
        {
          env: [
            { name: "DB_HOST", value: HOST },
            { name: "DB_PORT", value: "25060" },
            { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "mdm-ai-db", key: "password" } } },
          ],
        },
      ],
    }),
  ];
}

function run(objects: KubeObject[], withPlan = externalPlan()): CheckResult {
  return runCheck(check, modelOf(objects, withPlan), withPlan);
}

function pairs(result: CheckResult): string[] {
  return result.findings.map((finding) => `${finding.verdict} ${finding.subject}`);
}

function findingMatching(result: CheckResult, pattern: RegExp) {
  const finding = result.findings.find((candidate) => pattern.test(candidate.message));
  assert.ok(
    finding,
    `no finding matches ${pattern}; findings: ${result.findings.map((f) => `${f.verdict} ${f.message}`).join(" | ")}`,
  );
  return finding;
}

describe("MP-EXT-01 external database pass-through", () => {
  it("warns on an offered port whose use is unknown", () => {
    const result = run([sre, allowAny, serviceEntry([{ number: 25060 }]), disable, ...clients()]);

    assert.equal(result.verdict, "warn");
    assert.equal(
      result.summary,
      "ServiceEntry covers :25060 (used by mdm-ai, mdm-kernel); :25061 (connection pool (PgBouncer)) is not declared — confirm no meshed service needs it before STRICT.",
    );
    assert.deepEqual(pairs(result), [
      "pass ServiceEntry sre/do-postgres",
      "pass DestinationRule sre/do-postgres",
      "pass ServiceEntry sre/do-postgres",
      "warn ServiceEntry sre/do-postgres",
    ]);
    const unknown = findingMatching(result, /:25061/);
    assert.match(unknown.message, /values held in Secrets are not read \(mdm-ai references Secrets\)/);
    assert.deepEqual(result.facts, {
      externalServices: [
        {
          name: "managed-postgres",
          host: HOST,
          declaredPorts: [25060],
          usedPorts: { "25060": ["mdm-ai", "mdm-kernel"] },
          portUseUnknownBecause: "values held in Secrets are not read (mdm-ai references Secrets)",
        },
      ],
    });
    assert.match(result.evidence[0]?.output ?? "", new RegExp(`^${HOST.replaceAll(".", "\\.")} ports=25060$`));
  });

  it("never copies a connection-string password into the outcome", () => {
    const dsn = configMap("sre", "kernel-db", {
      "db.conf": `host=${HOST} port=25061 user=app password=${PASSWORD} sslmode=require`,
    });
    const objects = [sre, allowAny, serviceEntry([{ number: 25060 }]), disable, dsn, ...clients()];
    const kernelPod = objects.find((object) => object.kind === "Pod" && object.metadata.name.startsWith("mdm-kernel"))!;
    kernelPod.spec.volumes.push({ name: "db", configMap: { name: "kernel-db" } });

    const result = run(objects);
    const text = JSON.stringify(result);
    assert.ok(text.includes(HOST), "the outcome names the host");
    assert.equal(text.includes(PASSWORD), false, "the password appears in the outcome");
    assert.match(findingMatching(result, /:25061/).message, /mdm-kernel dials it/);
  });

  it("names an unreferenced ConfigMap that mentions a port", () => {
    const pool = configMap("sre", "pgbouncer-notes", { "pool.txt": `pool at ${HOST}:25061` });
    const result = run([sre, allowAny, serviceEntry([{ number: 25060 }]), disable, pool, ...clients()]);
    const finding = findingMatching(result, /:25061/);
    assert.equal(finding.verdict, "warn");
    assert.match(
      finding.message,
      /ConfigMap sre\/pgbouncer-notes names it, but no meshed pod references that ConfigMap/,
    );
  });

  it("reads a ConfigMap from a projected volume", () => {
    const dsn = configMap("sre", "kernel-pool", { DSN: `postgres://app:${PASSWORD}@${HOST}:25061/pool` });
    const objects = [sre, allowAny, serviceEntry([{ number: 25060 }]), disable, dsn, ...clients()];
    const kernelPod = objects.find((object) => object.kind === "Pod" && object.metadata.name.startsWith("mdm-kernel"))!;
    kernelPod.spec.volumes.push({ name: "config", projected: { sources: [{ configMap: { name: "kernel-pool" } }] } });

    const result = run(objects);
    assert.match(findingMatching(result, /:25061/).message, /mdm-kernel dials it/);
    assert.equal(JSON.stringify(result).includes(PASSWORD), false);
  });

  it("fails tls.mode SIMPLE on a Postgres host", () => {
    const result = run([
      sre,
      allowAny,
      serviceEntry([{ number: 25060 }]),
      destinationRule({ tls: { mode: "SIMPLE" } }),
      ...clients(),
    ]);
    assert.equal(result.verdict, "fail");
    const finding = result.findings.find((candidate) => candidate.subject === "DestinationRule sre/do-postgres");
    assert.equal(finding?.verdict, "fail");
    assert.match(finding?.message ?? "", /tls\.mode SIMPLE: Envoy would originate TLS on top of the client's own TLS/);
    assert.match(result.summary, /DestinationRule sre\/do-postgres: tls\.mode SIMPLE/);
  });

  it("fails a TLS-originating portLevelSettings entry", () => {
    const rule = destinationRule({
      tls: { mode: "DISABLE" },
      portLevelSettings: [{ port: { number: 25060 }, tls: { mode: "ISTIO_MUTUAL" } }],
    });
    const result = run([sre, allowAny, serviceEntry([{ number: 25060 }, { number: 25061 }]), rule, ...clients()]);
    assert.equal(result.verdict, "fail");
    assert.match(findingMatching(result, /portLevelSettings/).message, /port 25060 sets tls\.mode ISTIO_MUTUAL/);
  });

  it("fails a missing DestinationRule", () => {
    const result = run([sre, allowAny, serviceEntry([{ number: 25060 }, { number: 25061 }]), ...clients()]);
    assert.equal(result.verdict, "fail");
    assert.ok(pairs(result).includes("fail ExternalService managed-postgres"));
    assert.match(findingMatching(result, /no DestinationRule/).message, /tls\.mode DISABLE/);
  });

  it("fails a TLS protocol on a Postgres port", () => {
    const result = run([
      sre,
      allowAny,
      serviceEntry([{ number: 25060, protocol: "TLS" }, { number: 25061 }]),
      disable,
      ...clients(),
    ]);
    assert.equal(result.verdict, "fail");
    assert.match(findingMatching(result, /has protocol TLS/).message, /SSLRequest/);
  });

  it("fails a missing ServiceEntry", () => {
    const result = run([sre, allowAny, disable, ...clients()]);
    assert.equal(result.verdict, "fail");
    assert.match(findingMatching(result, /^no ServiceEntry/).message, /PassthroughCluster/);
    assert.match(result.summary, new RegExp(`^No ServiceEntry for ${HOST.replaceAll(".", "\\.")}`));
  });

  it("warns on a port in use that is missing under ALLOW_ANY", () => {
    const objects = [
      sre,
      allowAny,
      serviceEntry([{ number: 25060 }]),
      disable,
      ...clients(`postgres://app:${PASSWORD}@${HOST}:25061/pool`),
    ];
    const result = run(objects);
    assert.equal(result.verdict, "warn");
    const finding = findingMatching(result, /:25061/);
    assert.equal(finding.verdict, "warn");
    assert.match(finding.message, /mdm-kernel dials it: it works through PassthroughCluster/);
  });

  it("fails a port in use that is missing under REGISTRY_ONLY", () => {
    const objects = [
      sre,
      registryOnly,
      serviceEntry([{ number: 25060 }]),
      disable,
      ...clients(`postgres://app:${PASSWORD}@${HOST}:25061/pool`),
    ];
    const result = run(objects);
    assert.equal(result.verdict, "fail");
    const finding = findingMatching(result, /:25061/);
    assert.equal(finding.verdict, "fail");
    assert.match(finding.message, /BlackHoleCluster/);
    assert.equal(JSON.stringify(result).includes(PASSWORD), false);
  });

  it("passes when every offered port is declared", () => {
    const result = run([sre, allowAny, serviceEntry([{ number: 25060 }, { number: 25061 }]), disable, ...clients()]);
    assert.equal(result.verdict, "pass");
    assert.equal(
      result.summary,
      "ServiceEntry covers :25060 (used by mdm-ai, mdm-kernel), :25061 (connection pool (PgBouncer)).",
    );
  });

  it("fails an exportTo that hides the entry from a client namespace", () => {
    const entry = serviceEntry([{ number: 25060 }, { number: 25061 }], { exportTo: ["istio-system"] });
    const result = run([sre, allowAny, entry, disable, ...clients()]);
    assert.equal(result.verdict, "fail");
    assert.match(
      findingMatching(result, /^exportTo/).message,
      /hides it from namespace sre, where meshed workloads dial the host/,
    );
  });

  it("skips without a plan", () => {
    assert.equal(runCheck(check, modelOf([sre]), undefined).verdict, "skip");
  });
});
