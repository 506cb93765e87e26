import * as assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DisallowedCommandError,
  SPIRE_SERVER_BINARY,
  SPIRE_SERVER_COMMANDS,
  spireServerArgv,
} from "../../src/collect/live/exec.js";
import {
  ADMIN_REQUESTS,
  assertAllowedAdminRequest,
  DisallowedAdminRequestError,
} from "../../src/collect/live/port-forward.js";

describe("spire-server exec allowlist", () => {
  test("builds argv for each allowed command", () => {
    assert.deepEqual(spireServerArgv(["healthcheck"]), [SPIRE_SERVER_BINARY, "healthcheck"]);
    assert.deepEqual(spireServerArgv(["agent", "list", "-output", "json"]), [
      "/opt/spire/bin/spire-server",
      "agent",
      "list",
      "-output",
      "json",
    ]);
    assert.equal(SPIRE_SERVER_COMMANDS.length, 4);
  });

  const rejected: string[][] = [
    [],
    ["entry", "delete", "-entryID", "x"],
    ["agent", "evict", "-spiffeID", "spiffe://td/agent"],
    ["bundle", "set"],
    ["healthcheck", "-socketPath", "/tmp/other.sock"],
    ["agent", "list"],
    ["entry", "show", "-output", "json", "-spiffeID", "x"],
    ["healthcheck; rm -rf /"],
    ["HEALTHCHECK"],
    ["token", "generate"],
  ];
  for (const args of rejected) {
    test(`rejects ${JSON.stringify(args)}`, () => {
      assert.throws(() => spireServerArgv(args), DisallowedCommandError);
    });
  }
});

describe("admin request allowlist", () => {
  test("allows the three read paths", () => {
    for (const request of ADMIN_REQUESTS) {
      assert.doesNotThrow(() => assertAllowedAdminRequest("GET", request.port, request.path));
    }
    assert.deepEqual(
      ADMIN_REQUESTS.map((request) => `${request.port}${request.path}`),
      ["15000/config_dump?resource=dynamic_active_secrets", "15000/certs", "15014/debug/mesh"],
    );
  });

  const rejected: Array<[string, number, string]> = [
    ["POST", 15000, "/certs"],
    ["GET", 15000, "/config_dump"],
    ["GET", 15000, "/config_dump?resource=dynamic_active_secrets&include_eds"],
    ["POST", 15000, "/quitquitquit"],
    ["POST", 15000, "/drain_listeners"],
    ["POST", 15000, "/healthcheck/fail"],
    ["GET", 15020, "/quitquitquit"],
    ["GET", 15014, "/debug/force_disconnect"],
    ["GET", 15014, "/debug/adsz?push=true"],
    ["GET", 15000, "/debug/mesh"],
    ["GET", 15014, "/certs"],
  ];
  for (const [method, port, path] of rejected) {
    test(`rejects ${method} ${port}${path}`, () => {
      assert.throws(() => assertAllowedAdminRequest(method, port, path), DisallowedAdminRequestError);
    });
  }
});
