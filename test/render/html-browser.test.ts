import * as assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { groupChecksByCategory } from "../../src/render/common.js";
import { renderHtml } from "../../src/render/html.js";
import { renderJunit } from "../../src/render/junit.js";
import { fixtureRunResult, HOSTILE_PWNED_IMG, HOSTILE_PWNED_SCRIPT, HOSTILE_SCRIPT } from "../fixtures/run-result.js";
import { chromiumSkip, launchChromium } from "../support/chromium.js";

const OUTPUT_DIR = new URL("../../test-output/", import.meta.url);
const SCREENSHOT_DIR = new URL("screenshots/", OUTPUT_DIR);
const skip = chromiumSkip;

interface PageWatch {
  page: Page;
  /** Every request the page made, by URL. */
  requests: string[];
  /** Requests the catch-all route aborted. */
  aborted: string[];
  errors: string[];
  dialogs: string[];
}

/** Opens a page that records requests, console errors, page errors and dialogs, and aborts every routed request. */
async function watchedPage(
  browser: Browser,
  viewport = { width: 1280, height: 900 },
  allow?: string,
): Promise<PageWatch> {
  const page = await browser.newPage({ viewport });
  const watch: PageWatch = { page, requests: [], aborted: [], errors: [], dialogs: [] };
  page.on("request", (request) => watch.requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error") watch.errors.push(message.text());
  });
  page.on("pageerror", (error) => watch.errors.push(error.message));
  page.on("dialog", (dialog) => {
    watch.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.route("**", (route) => {
    if (route.request().url() === allow) return route.continue();
    watch.aborted.push(route.request().url());
    return route.abort();
  });
  return watch;
}

describe("html report in Chromium", { skip }, () => {
  let browser: Browser;
  const report = renderHtml(fixtureRunResult());

  before(async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  it("loads with no request, error or dialog", async () => {
    const watch = await watchedPage(browser);
    await watch.page.setContent(report, { waitUntil: "load" });
    assert.deepEqual(watch.requests, []);
    assert.deepEqual(watch.aborted, []);
    assert.deepEqual(watch.errors, []);
    assert.deepEqual(watch.dialogs, []);
    await watch.page.close();
  });

  it("requests only itself from a file URL", async () => {
    const file = new URL("report.html", OUTPUT_DIR);
    writeFileSync(file, report);
    const watch = await watchedPage(browser, undefined, file.href);
    await watch.page.goto(file.href, { waitUntil: "load" });
    assert.deepEqual(watch.requests, [file.href]);
    assert.deepEqual(watch.aborted, []);
    assert.deepEqual(watch.errors, []);
    await watch.page.close();
  });

  it("shows hostile markup as text and runs none of it", async () => {
    const watch = await watchedPage(browser);
    await watch.page.setContent(report, { waitUntil: "load" });
    const text = (await watch.page.textContent("body")) ?? "";
    assert.ok(text.includes(HOSTILE_SCRIPT));
    assert.ok(text.includes(HOSTILE_PWNED_SCRIPT));
    assert.ok(text.includes(HOSTILE_PWNED_IMG));
    assert.equal(await watch.page.evaluate(() => "__pwned" in window), false);
    assert.equal(await watch.page.locator("img").count(), 0);
    assert.equal(await watch.page.locator("script").count(), 1);
    assert.deepEqual(watch.dialogs, []);
    await watch.page.close();
  });

  it("runs none of it without the content security policy", async () => {
    // Escaping alone must hold: the policy is a second line of defence, not the first.
    const withoutPolicy = report.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "");
    assert.notEqual(withoutPolicy, report);
    const watch = await watchedPage(browser);
    await watch.page.setContent(withoutPolicy, { waitUntil: "load" });
    assert.equal(await watch.page.evaluate(() => "__pwned" in window), false);
    assert.deepEqual(watch.dialogs, []);
    assert.deepEqual(watch.requests, []);
    assert.deepEqual(watch.errors, []);
    await watch.page.close();
  });

  it("shows every category heading", async () => {
    const watch = await watchedPage(browser);
    await watch.page.setContent(report, { waitUntil: "load" });
    for (const group of groupChecksByCategory(fixtureRunResult())) {
      const heading = watch.page.locator(`#category-${group.category}-heading`);
      assert.equal(await heading.textContent(), group.title);
      assert.ok(await heading.isVisible(), `${group.title} is hidden`);
    }
    await watch.page.close();
  });

  it("expands evidence output for print", async () => {
    const watch = await watchedPage(browser);
    await watch.page.setContent(report, { waitUntil: "load" });
    const output = watch.page.locator("details.output pre").first();
    assert.equal(await output.isVisible(), false);
    await watch.page.emulateMedia({ media: "print" });
    assert.equal(await output.isVisible(), true);
    await watch.page.close();
  });

  it("fits a phone screen without sideways scrolling", async () => {
    const watch = await watchedPage(browser, { width: 390, height: 844 });
    await watch.page.setContent(report, { waitUntil: "load" });
    const width = await watch.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `page is ${width}px wide`);
    await watch.page.close();
  });

  it("wraps long unbroken words on a phone screen", async () => {
    const result = fixtureRunResult();
    const target = result.checks.find((item) => item.id === "MP-ID-03");
    assert.ok(target);
    target.proves = `The SPIFFE ID is ${"spiffe://insignia.tech/ns/sre/sa/".repeat(4)}default.`;
    target.summary = `Not read: ${"x".repeat(120)}`;
    const watch = await watchedPage(browser, { width: 390, height: 844 });
    await watch.page.setContent(renderHtml(result), { waitUntil: "load" });
    const width = await watch.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `page is ${width}px wide`);
    await watch.page.close();
  });

  it("saves desktop and phone screenshots", async () => {
    for (const [name, viewport] of [
      ["report-desktop.png", { width: 1280, height: 900 }],
      ["report-phone.png", { width: 390, height: 844 }],
    ] as const) {
      const watch = await watchedPage(browser, viewport);
      await watch.page.setContent(report, { waitUntil: "load" });
      const path = new URL(name, SCREENSHOT_DIR);
      await watch.page.screenshot({ path: path.pathname, fullPage: true });
      assert.ok(existsSync(path));
      await watch.page.close();
    }
  });

  it("parses the JUnit report as well-formed XML", async () => {
    const page = await browser.newPage();
    const junit = renderJunit(fixtureRunResult());
    const parsed = await page.evaluate((source) => {
      const document = new DOMParser().parseFromString(source, "application/xml");
      return {
        error: document.querySelector("parsererror")?.textContent ?? null,
        tests: document.documentElement.getAttribute("tests"),
        testcases: document.querySelectorAll("testcase").length,
      };
    }, junit);
    assert.equal(parsed.error, null);
    assert.equal(parsed.tests, String(parsed.testcases));
    await page.close();
  });
});
