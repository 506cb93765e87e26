#!/usr/bin/env node
// Baseline of the benchmark: reads a snapshot file and parses it as JSON, the least any reader of
// that file must do: the whole file as UTF-8, then one JSON.parse. It prints the item count so the
// parse cannot be skipped.
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: node bench/parse-only.js FILE\n");
  process.exit(2);
}
const document = JSON.parse(readFileSync(file, "utf8"));
process.stdout.write(`${Array.isArray(document.items) ? document.items.length : 0}\n`);
