import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, which `.ci/run` installs. */
export const CHROMIUM = "/usr/bin/chromium";

/** A skip reason for node:test when Chromium is absent, else false. */
export const chromiumSkip = existsSync(CHROMIUM)
  ? false
  : `Chromium is not installed at ${CHROMIUM}; install the Debian chromium package to run this test`;

/**
 * Launches headless Chromium with background networking off, so the browser itself sends no request
 * the tests would have to tell apart from the page's.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
