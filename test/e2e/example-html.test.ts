import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { CATEGORY_TITLES } from "../../src/checks/types.js";
import { redactState } from "../../src/collect/redact-objects.js";
import { readSnapshot } from "../../src/collect/snapshot/read.js";
import { loadPlan } from "../../src/plan/load.js";
import { renderHtml } from "../../src/render/html.js";
import type { RunResult } from "../../src/run/result.js";
import { runVerification } from "../../src/run/run.js";
import { chromiumSkip, launchChromium } from "../support/chromium.js";

const repo = resolve(import.meta.dirname, "../..");
const SCREENSHOTS = join(repo, "test-output/screenshots");
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const skip = chromiumSkip;

/** Verifies the example, optionally with markup planted in a cluster string: the mesh config's trust domain. */
async function exampleResult(hostile: boolean): Promise<RunResult> {
  const state = redactState(await readSnapshot(join(repo, "examples/snapshot")));
  if (hostile) {
    const meshConfig = state.objects.find((object) => object.kind === "ConfigMap" && object.metadata.name === "istio");
    assert.ok(meshConfig?.data?.mesh, "the example has ConfigMap istio-system/istio");
    meshConfig.data.mesh = meshConfig.data.mesh.replace(/trustDomain: .*/, `trustDomain: '${HOSTILE}'`);
  }
  const plan = await loadPlan(join(repo, "examples/plan.yaml"));
  return runVerification({ state, plan, planFile: "examples/plan.yaml" }).result;
}

describe("example HTML report in Chromium", { skip }, () => {
  let browser: Browser;

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  it("shows every category of the example", async () => {
    const result = await exampleResult(false);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    await page.setContent(renderHtml(result));

    for (const category of result.categories) {
      const heading = page.getByRole("heading", { name: CATEGORY_TITLES[category], exact: false }).first();
      assert.equal(await heading.isVisible(), true, `category heading "${CATEGORY_TITLES[category]}" not visible`);
    }
    assert.ok(result.categories.length >= 11, `only ${result.categories.length} categories`);
    assert.deepEqual(requests, []);
    await page.screenshot({ path: join(SCREENSHOTS, "example-desktop.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SCREENSHOTS, "example-phone.png"), fullPage: true });
    await page.close();
  });

  it("shows a hostile trust domain as text", async () => {
    const result = await exampleResult(true);
    const page = await browser.newPage();
    await page.setContent(renderHtml(result));
    const text = (await page.textContent("body")) ?? "";
    assert.ok(text.includes(HOSTILE), "the markup is shown as text");
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator("img[src=x]").count(), 0);
    await page.close();
  });
});
