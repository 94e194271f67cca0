/**
 * Headless Chromium for the console's tests: Debian's `chromium` (scripts/chromium/setup.sh
 * installs it), driven by puppeteer-core, which never downloads a browser of its own.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export const CHROMIUM = process.env.STATEFUN_CHROMIUM ?? "/usr/bin/chromium";
/** Where the tests' screenshots go (not committed). */
export const SHOTS = resolve(import.meta.dirname, ".screenshots");

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run bash scripts/chromium/setup.sh (npm test runs it), or set STATEFUN_CHROMIUM`);
  }
  const args = ["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"];
  // Chromium's sandbox refuses to run as root.
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return puppeteer.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 30_000 });
}

/** A page that fails the test on a script error of the console. */
export async function newPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  return { page, errors };
}

/** Saves a full-page screenshot under test/console/.screenshots and prints where. */
export async function screenshot(page: Page, name: string, also?: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
  if (also !== undefined) {
    await page.screenshot({ path: also });
    console.log(`screenshot: ${also}`);
  }
  return path;
}
