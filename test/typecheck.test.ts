import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { test } from "node:test";

const repo = resolve(import.meta.dirname, "..");

test("TypeScript strict type check passes", () => {
  const run = spawnSync(
    process.execPath,
    [resolve(repo, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json", "--noEmit"],
    {
      cwd: repo,
      encoding: "utf8",
    },
  );
  assert.equal(run.status, 0, `tsc reported errors:\n${run.stdout}${run.stderr}`);
});
