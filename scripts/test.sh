#!/usr/bin/env bash
# Runs the whole test suite with Node's test runner and fails when no test ran, because
# `node --test` exits 0 when it finds nothing to run.
set -euo pipefail
shopt -s globstar nullglob

script_dir="$(cd "$(dirname "$0")" && pwd)"
test_dir="${MESHPROOF_TEST_DIR:-test}"
files=("$test_dir"/**/*.test.ts)
if [ "${#files[@]}" -eq 0 ]; then
  echo "error: no test files match $test_dir/**/*.test.ts" >&2
  exit 1
fi

count_file="$(mktemp)"
trap 'rm -f "$count_file"' EXIT
status=0
node --import tsx --test --test-concurrency=2 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter="$script_dir/count-tests.mjs" --test-reporter-destination="$count_file" \
  "${files[@]}" || status=$?

# Node 20 reports a file that defines no test as one passing test, so the spec reporter's
# "tests N" line cannot show that nothing ran. The counting reporter counts real tests only.
ran="$(cat "$count_file")"
if [ -z "$ran" ] || [ "$ran" -eq 0 ]; then
  echo "error: the test runner executed no test" >&2
  exit 1
fi
exit "$status"
