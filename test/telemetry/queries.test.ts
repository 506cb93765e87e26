import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { UserError } from "../../src/errors.js";
import { parsePrometheusUrl } from "../../src/telemetry/prometheus.js";
import {
  addTelemetryEvidence,
  callerQuery,
  collectTelemetry,
  parsePrometheusDuration,
} from "../../src/telemetry/queries.js";
import { stateOf } from "../support/builders.js";

describe("parsePrometheusDuration", () => {
  it("reads single and compound durations", () => {
    assert.equal(parsePrometheusDuration("24h"), 86_400_000);
    assert.equal(parsePrometheusDuration("1h30m"), 5_400_000);
    assert.equal(parsePrometheusDuration("7d"), 604_800_000);
    assert.equal(parsePrometheusDuration("500ms"), 500);
  });

  it("rejects text that is not a duration", () => {
    for (const text of ["", "24", "h", "1.5h", "24 h", "-1h", "0s"])
      assert.equal(parsePrometheusDuration(text), undefined, text);
  });
});

describe("parsePrometheusUrl", () => {
  it("keeps a path prefix and builds the query endpoint", () => {
    const target = parsePrometheusUrl("http://127.0.0.1:9090/prometheus/?x=1#y");
    assert.equal(target.queryUrl.href, "http://127.0.0.1:9090/prometheus/api/v1/query");
    assert.equal(target.display, "http://127.0.0.1:9090/prometheus");
    assert.equal(target.authorization, undefined);
  });

  it("moves credentials to a Basic header and masks them", () => {
    const target = parsePrometheusUrl("https://reader:s3cret@127.0.0.1:9443");
    assert.equal(target.authorization, `Basic ${Buffer.from("reader:s3cret").toString("base64")}`);
    assert.equal(target.display, "https://****@127.0.0.1:9443");
    assert.ok(!target.queryUrl.href.includes("s3cret"));
  });

  it("rejects other schemes and invalid URLs", () => {
    assert.throws(() => parsePrometheusUrl("file:///etc/passwd"), UserError);
    assert.throws(() => parsePrometheusUrl("not a url"), /invalid --prometheus URL "not a url"/);
  });
});

describe("collectTelemetry against a local HTTP server", () => {
  let server: Server;
  let base = "";
  const requests: Array<{ method?: string; url?: string; authorization?: string }> = [];
  let handler: (request: IncomingMessage, response: ServerResponse) => void = () => undefined;

  before(async () => {
    server = createServer((request, response) => {
      requests.push({ method: request.method, url: request.url, authorization: request.headers.authorization });
      handler(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json = (status: number, body: unknown) => (_request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  };

  it("sends GET queries for the window and parses the vector", async () => {
    requests.length = 0;
    handler = json(200, {
      status: "success",
      data: {
        resultType: "vector",
        result: [
          { metric: { destination_workload: "kernel", connection_security_policy: "none" }, value: [1, "42.5"] },
          { metric: { destination_workload: "ai" }, value: [1, "NaN"] },
        ],
      },
    });
    const now = new Date("2026-06-28T21:40:00Z");
    const evidence = await collectTelemetry(base, "24h", { now });

    assert.deepEqual(
      evidence.map((item) => item.id),
      ["prometheus:requests", "prometheus:tcp-connections", "prometheus:passthrough"],
    );
    assert.deepEqual(
      requests.map((request) => request.method),
      ["GET", "GET", "GET"],
    );
    const first = new URL(requests[0]?.url ?? "", base);
    assert.equal(first.pathname, "/api/v1/query");
    assert.equal(first.searchParams.get("query"), callerQuery("istio_requests_total", "24h"));
    assert.equal(first.searchParams.get("time"), `${now.getTime() / 1000}.000`);
    assert.deepEqual(evidence[0]?.samples, [
      { labels: { destination_workload: "kernel", connection_security_policy: "none" }, value: 42.5 },
    ]);
    assert.equal(evidence[0]?.window, "24h");
    assert.equal(evidence[0]?.evaluatedAt, "2026-06-28T21:40:00.000Z");
    assert.equal(evidence[0]?.error, undefined);
    assert.match(evidence[0]!.output, /^\{connection_security_policy="none",destination_workload="kernel"\} 42\.50$/);
  });

  it("records HTTP errors as evidence with the reason", async () => {
    const cases: Array<[number, unknown, string]> = [
      [401, { status: "error", errorType: "unauthorized", error: "no" }, "forbidden"],
      [400, { status: "error", errorType: "bad_data", error: "parse error" }, "invalid-response"],
      [503, { status: "error", errorType: "unavailable", error: "not ready" }, "server-error"],
      [200, "not json at all", "invalid-response"],
    ];
    for (const [status, body, reason] of cases) {
      handler =
        typeof body === "string" ? (_request, response) => response.writeHead(status).end(body) : json(status, body);
      const evidence = await collectTelemetry(base, "1h");
      assert.equal(evidence[0]?.error?.reason, reason, `HTTP ${status}`);
      assert.deepEqual(evidence[0]?.samples, []);
    }
  });

  it("does not follow a redirect", async () => {
    requests.length = 0;
    handler = (_request, response) => response.writeHead(302, { location: `${base}/elsewhere` }).end();
    const evidence = await collectTelemetry(base, "1h");
    assert.equal(evidence[0]?.error?.reason, "invalid-response");
    assert.match(evidence[0]!.error!.message, /answered with a redirect, which meshproof does not follow/);
    assert.ok(requests.every((request) => request.url?.startsWith("/api/v1/query")));
  });

  it("times out a server that does not answer", async () => {
    handler = () => undefined;
    const evidence = await collectTelemetry(base, "1h", { timeoutMs: 200 });
    assert.equal(evidence[0]?.error?.reason, "timeout");
    assert.match(evidence[0]!.error!.message, /timed out: no response within 0\.2 s/);
  });

  it("sends URL credentials as Basic auth", async () => {
    requests.length = 0;
    handler = json(200, { status: "success", data: { resultType: "vector", result: [] } });
    const evidence = await collectTelemetry(base.replace("http://", "http://reader:s3cret@"), "1h");
    assert.equal(requests[0]?.authorization, `Basic ${Buffer.from("reader:s3cret").toString("base64")}`);
    assert.ok(evidence.every((item) => !item.command.includes("s3cret") && !item.url.includes("s3cret")));
  });

  it("rejects an invalid window before any request", async () => {
    requests.length = 0;
    await assert.rejects(collectTelemetry(base, "one day"), /invalid --prometheus-window "one day"/);
    assert.equal(requests.length, 0);
  });

  it("replaces telemetry evidence a snapshot already holds", async () => {
    handler = json(200, { status: "success", data: { resultType: "vector", result: [] } });
    const state = stateOf([]);
    await addTelemetryEvidence(state, { prometheus: base, prometheusWindow: "1h" });
    await addTelemetryEvidence(state, { prometheus: base, prometheusWindow: "2h" });
    assert.deepEqual(
      state.evidence.map((item) => (item.type === "prometheus-query" ? `${item.id} ${item.window}` : item.id)),
      ["prometheus:requests 2h", "prometheus:tcp-connections 2h", "prometheus:passthrough 2h"],
    );
  });
});
