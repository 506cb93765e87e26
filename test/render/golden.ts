import * as assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const GOLDEN_DIR = new URL("./golden/", import.meta.url);

/**
 * Compares `actual` with test/render/golden/`name`. With UPDATE_GOLDEN=1 it rewrites the file instead,
 * so review the diff before committing.
 */
export function assertGolden(name: string, actual: string): void {
  const file = new URL(name, GOLDEN_DIR);
  if (process.env.UPDATE_GOLDEN === "1") {
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${name} is missing; run the test with UPDATE_GOLDEN=1 to create it`);
  assert.equal(
    actual,
    readFileSync(file, "utf8"),
    `output differs from golden/${name}; rerun with UPDATE_GOLDEN=1 if the change is intended`,
  );
}
