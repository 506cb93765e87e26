import * as assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { runProbe } from "../../src/collect/live/probes.js";
import type { PlanProbe } from "../../src/plan/schema.js";

const settings = { maxAttempts: 3, retryDelayMs: 10, clock: () => new Date() };

function probe(overrides: Partial<PlanProbe> & { url: string }): PlanProbe {
  return {
    name: "kernel-public",
    method: "GET",
    expectedStatus: 200,
    control: false,
    description: "ingress to the meshed kernel",
    timeoutSeconds: 2,
    ...overrides,
  };
}

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `http://127.0.0.1:${address.port}`;
}

describe("HTTP probes", () => {
  let server: Server;
  let base: string;
  let requests = 0;
  let lastAuthorization: string | undefined;

  before(async () => {
    server = createServer((request, response) => {
      requests += 1;
      if (request.url === "/auth-check") lastAuthorization = request.headers.authorization;
      if (request.url === "/hang") return;
      if (request.url === "/login") {
        response.writeHead(302, { location: "https://sso.example.test/auth?password=hunter2", via: "1.1 nginx" });
        response.end();
        return;
      }
      response.writeHead(200, { server: "istio-envoy", "x-envoy-upstream-service-time": "3", "x-other": "no" });
      response.end("hello");
    });
    base = await listen(server);
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
  });

  test("records status, latency and path headers", async () => {
    const evidence = await runProbe(probe({ url: `${base}/` }), settings);
    assert.equal(evidence.status, 200);
    assert.equal(evidence.attempts, 1);
    assert.deepEqual(evidence.headers, { server: "istio-envoy", "x-envoy-upstream-service-time": "3" });
    assert.ok((evidence.latencyMs ?? -1) >= 0);
    assert.equal(evidence.output, "HTTP 200 OK\nserver: istio-envoy\nx-envoy-upstream-service-time: 3");
    assert.equal(evidence.id, "probe:kernel-public");
    assert.equal(evidence.expectedStatus, 200);
    assert.equal(evidence.error, undefined);
  });

  test("does not follow redirects", async () => {
    const before = requests;
    const evidence = await runProbe(probe({ url: `${base}/login`, expectedStatus: 302 }), settings);
    assert.equal(evidence.status, 302);
    assert.equal(evidence.headers.location, "https://sso.example.test/auth?password=****");
    assert.equal(evidence.headers.via, "1.1 nginx");
    assert.equal(requests - before, 1);
  });

  test("HEAD probes send HEAD", async () => {
    const evidence = await runProbe(probe({ url: `${base}/`, method: "HEAD" }), settings);
    assert.equal(evidence.status, 200);
    assert.equal(evidence.method, "HEAD");
    assert.match(evidence.command, /curl -sS -I /);
  });

  test("refused connection is retried then unreachable", async () => {
    const closed = createTcpServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const port = typeof address === "object" && address ? address.port : 1;
    const evidence = await runProbe(probe({ url: `http://127.0.0.1:${port}/` }), settings);
    assert.equal(evidence.attempts, 3);
    assert.equal(evidence.status, undefined);
    assert.equal(evidence.error?.reason, "unreachable");
    assert.match(evidence.error?.message ?? "", /ECONNREFUSED/);
  });

  test("no answer within the timeout", async () => {
    const evidence = await runProbe(probe({ url: `${base}/hang`, timeoutSeconds: 0.3 }), settings);
    assert.equal(evidence.error?.reason, "timeout");
    assert.equal(evidence.attempts, 1);
    assert.match(evidence.error?.message ?? "", /no response within 0.3 s/);
  });

  test("URL credentials become Basic auth and are masked", async () => {
    const url = `${base}/auth-check`.replace("http://", "http://probe:hunter2@");
    const evidence = await runProbe(probe({ url }), settings);
    assert.equal(evidence.error, undefined);
    assert.equal(evidence.status, 200);
    assert.equal(lastAuthorization, `Basic ${Buffer.from("probe:hunter2").toString("base64")}`);
    assert.doesNotMatch(JSON.stringify(evidence), /hunter2/);
    assert.match(evidence.url, /probe:\*\*\*\*@127\.0\.0\.1/);
  });
});
