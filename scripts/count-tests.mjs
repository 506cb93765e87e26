// Node test reporter that writes the number of tests that ran, not counting suites or the
// per-file wrapper that Node 20 reports as a passing test even when a file defines no test.
export default async function* countTests(source) {
  let count = 0;
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const { name, file, details } = event.data;
    if (details?.type === "suite") continue;
    if (file !== undefined && (name === file || file.endsWith(name))) continue;
    count++;
  }
  yield `${count}\n`;
}
