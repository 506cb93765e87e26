import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { renderCheckReference } from "../../src/checks/reference.js";
import { ALL_CHECKS } from "../../src/checks/registry.js";

test("check reference matches the registry", () => {
  const committed = readFileSync(new URL("../../docs/checks.md", import.meta.url), "utf8");
  assert.equal(committed, renderCheckReference(), "run npx tsx scripts/gen-check-docs.ts to regenerate docs/checks.md");
});

test("check ids are unique", () => {
  const ids = ALL_CHECKS.map((check) => check.id);
  assert.deepEqual(
    ids.filter((id, index) => ids.indexOf(id) !== index),
    [],
  );
});
