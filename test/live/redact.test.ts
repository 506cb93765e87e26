import * as assert from "node:assert/strict";
import { describe, test } from "node:test";
import { maskCredentials } from "../../src/collect/redact.js";

describe("maskCredentials", () => {
  const cases: Array<[string, string, string]> = [
    ["URL password", "postgres://app:hunter2@db.test:25060/app", "postgres://app:****@db.test:25060/app"],
    ["URL without user", "redis://:s3cret@redis.test:6379/0", "redis://:****@redis.test:6379/0"],
    ["URL without password", "https://user@example.test/x", "https://user@example.test/x"],
    ["plain URL", "https://example.test:8443/a?b=c", "https://example.test:8443/a?b=c"],
    ["query pair", "https://x.test/cb?user=a&password=hunter2&next=1", "https://x.test/cb?user=a&password=****&next=1"],
    [
      "connection string",
      "Host=db;Username=app;Password=hunter2;Port=5432",
      "Host=db;Username=app;Password=****;Port=5432",
    ],
    ["JSON field", '{"user":"app","password":"hun\\"ter2","x":1}', '{"user":"app","password":"****","x":1}'],
    ["YAML field", "password: hunter2\nuser: app", "password: ****\nuser: app"],
    ["bearer token", "Authorization: Bearer eyJhbGciOi.JIUzI1NiJ9-x_y", "Authorization: Bearer ****"],
    ["basic credentials", "authorization: Basic cHJvYmU6aHVudGVyMg==", "authorization: Basic ****"],
    ["token pair", "token=abc123&x=1", "token=****&x=1"],
    ["object value left alone", '"token": {"expiry": 1}', '"token": {"expiry": 1}'],
    ["words left alone", "the password policy is strict", "the password policy is strict"],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      assert.equal(maskCredentials(input), expected);
    });
  }

  test("masks every occurrence", () => {
    const text = "a://u:p1@h b://v:p2@k password=p3";
    assert.equal(maskCredentials(text), "a://u:****@h b://v:****@k password=****");
  });
});
