// Writes docs/checks.md from the check registry; a test keeps the two equal.
import { writeFileSync } from "node:fs";
import { renderCheckReference } from "../src/checks/reference.js";

writeFileSync(new URL("../docs/checks.md", import.meta.url), renderCheckReference());
console.log("wrote docs/checks.md");
