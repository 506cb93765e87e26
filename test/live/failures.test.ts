import * as assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  backoffDelay,
  classifyError,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  RequestFailure,
  withRetry,
} from "../../src/collect/live/failures.js";

/** Build an error shaped like client-node 1.4's ApiException for an HTTP error. */
function apiException(code: number, body: unknown, headers: Record<string, string> = {}) {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body, headers });
}

describe("classifyError", () => {
  test("Status body message is kept", () => {
    const status = JSON.stringify({ kind: "Status", message: 'pods is forbidden: User "u" cannot list', code: 403 });
    const failure = classifyError(apiException(403, status));
    assert.equal(failure.reason, "forbidden");
    assert.equal(failure.status, 403);
    assert.equal(failure.retryable, false);
    assert.equal(failure.message, '403 Forbidden: pods is forbidden: User "u" cannot list');
  });

  test("429 and 5xx are retryable", () => {
    const throttled = classifyError(apiException(429, "{}", { "retry-after": "2" }));
    assert.equal(throttled.reason, "throttled");
    assert.equal(throttled.retryable, true);
    assert.equal(throttled.retryAfterMs, 2000);
    assert.equal(classifyError(apiException(503, undefined)).reason, "server-error");
    assert.equal(classifyError(apiException(503, undefined)).retryable, true);
  });

  test("network error codes", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), {
      name: "FetchError",
      code: "ECONNREFUSED",
    });
    assert.equal(classifyError(refused).reason, "unreachable");
    const reset = Object.assign(new Error("socket hang up"), { name: "FetchError", code: "ECONNRESET" });
    assert.equal(classifyError(reset).reason, "connection-dropped");
    const tls = Object.assign(new Error("self-signed certificate in certificate chain"), {
      code: "SELF_SIGNED_CERT_IN_CHAIN",
    });
    assert.equal(classifyError(tls).reason, "unreachable");
    assert.equal(classifyError(tls).retryable, false);
    assert.match(classifyError(tls).message, /TLS handshake failed/);
  });

  test("global fetch errors use their cause", () => {
    const error = new TypeError("fetch failed", {
      cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    });
    const failure = classifyError(error);
    assert.equal(failure.reason, "unreachable");
    assert.match(failure.message, /connect ECONNREFUSED/);
  });

  test("aborts are timeouts", () => {
    assert.equal(classifyError(Object.assign(new Error("aborted"), { name: "AbortError" })).reason, "timeout");
    assert.equal(classifyError(new DOMException("timed out", "TimeoutError")).reason, "timeout");
  });
});

describe("Retry-After and backoff", () => {
  test("seconds and HTTP dates", () => {
    assert.equal(parseRetryAfter("3"), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(parseRetryAfter("soon"), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  test("exponential delay honours Retry-After within the cap", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 5000 };
    assert.deepEqual(
      [1, 2, 3].map((attempt) => backoffDelay(policy, attempt)),
      [100, 200, 400],
    );
    assert.equal(backoffDelay(policy, 1, 2000), 2000);
    assert.equal(backoffDelay(policy, 1, 60_000), 5000);
  });

  test("withRetry stops at maxAttempts", async () => {
    let calls = 0;
    const delays: number[] = [];
    await assert.rejects(
      withRetry(
        async () => {
          calls += 1;
          throw apiException(500, JSON.stringify({ message: "etcd timeout" }));
        },
        { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 1000 },
        async (ms) => {
          delays.push(ms);
        },
      ),
      (error: unknown) => {
        assert.ok(error instanceof RequestFailure);
        assert.equal(error.reason, "server-error");
        assert.equal(error.attempts, 4);
        assert.equal(error.message, "HTTP 500: etcd timeout (after 4 attempts)");
        return true;
      },
    );
    assert.equal(calls, 4);
    assert.deepEqual(delays, [10, 20, 40]);
  });

  test("withRetry does not retry a 403", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(async () => {
        calls += 1;
        throw apiException(403, "{}");
      }, DEFAULT_RETRY_POLICY),
      RequestFailure,
    );
    assert.equal(calls, 1);
  });
});
