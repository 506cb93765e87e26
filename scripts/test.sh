#!/usr/bin/env bash
# Runs the whole test suite with Node's test runner and fails when no test ran, because
# `node --test` exits 0 when it finds nothing to run.
set -euo pipefail
shopt -s globstar nullglob

test_dir="${MESHPROOF_TEST_DIR:-test}"
files=("$test_dir"/**/*.test.ts)
if [ "${#files[@]}" -eq 0 ]; then
  echo "error: no test files match $test_dir/**/*.test.ts" >&2
  exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
node --import tsx --test --test-reporter=spec --test-concurrency=2 "${files[@]}" 2>&1 | tee "$log" || status=$?

# The spec reporter closes with lines such as "ℹ tests 12" and "ℹ pass 12".
ran="$(sed -n 's/^ℹ tests \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
if [ -z "$ran" ] || [ "$ran" -eq 0 ]; then
  echo "error: the test runner executed no test" >&2
  exit 1
fi
exit "$status"
