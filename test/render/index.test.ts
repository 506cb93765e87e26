import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REPORT_FORMATS, renderReport } from "../../src/render/index.js";
import { renderJson } from "../../src/render/json.js";
import { renderJunit } from "../../src/render/junit.js";
import { renderMarkdown } from "../../src/render/markdown.js";
import { renderShort } from "../../src/render/short.js";
import { renderText } from "../../src/render/text.js";
import { fixtureRunResult } from "../fixtures/run-result.js";

describe("renderReport", () => {
  const result = fixtureRunResult();

  it("dispatches each format to its renderer", async () => {
    const options = { ascii: true, verbose: true, evidenceLines: 3 };
    assert.equal(await renderReport(result, "text", options), renderText(result, options));
    assert.equal(await renderReport(result, "short", options), renderShort(result, options));
    assert.equal(await renderReport(result, "json", options), renderJson(result));
    assert.equal(await renderReport(result, "markdown", options), renderMarkdown(result, options));
    assert.equal(await renderReport(result, "junit", options), renderJunit(result));
    assert.ok((await renderReport(result, "html", options)).startsWith("<!DOCTYPE html>\n"));
  });

  it("ends every format with a newline", async () => {
    for (const format of REPORT_FORMATS) {
      const output = await renderReport(result, format);
      assert.ok(output.endsWith("\n"), format);
      assert.ok(!output.endsWith("\n\n"), format);
    }
  });

  it("does not change the result", async () => {
    for (const format of REPORT_FORMATS) await renderReport(result, format, { verbose: true });
    assert.deepEqual(result, fixtureRunResult());
  });
});
