import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '..', 'e2e-screenshots');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * Debian's Chromium: its headless shell (package chromium-headless-shell, the same Blink and V8
 * without the desktop browser around them) where installed, which took 0.70x the CPU of the full
 * browser in headless mode over the same two files (docs/BENCHMARKS.md); else the full browser.
 */
const CHROMIUM =
  process.env.PEREGRINE_CHROMIUM ??
  (existsSync('/usr/bin/chromium-headless-shell') ? '/usr/bin/chromium-headless-shell' : '/usr/bin/chromium');

/**
 * One Chromium per test worker, shared by the files it runs one after another (the e2e config
 * runs them in one process per worker): a launch is about 2.6 CPU s, a new context a fraction of
 * that. Playwright closes it when the worker exits (SIGTERM included). A browser that crashed or
 * was closed is launched again by the next file.
 */
let shared: Promise<Browser> | undefined;
function sharedBrowser(): Promise<Browser> {
  if (!shared) {
    const launching = chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
    });
    shared = launching;
    launching.then(
      (browser) =>
        browser.once('disconnected', () => {
          if (shared === launching) shared = undefined;
        }),
      () => {
        if (shared === launching) shared = undefined;
      },
    );
  }
  return shared;
}

/**
 * Debian's Chromium, headless, with every phone-home feature off: a fresh context (its own
 * cookies, storage and cache, as a new profile would have) in the worker's browser.
 */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  page: Page;
  close: () => Promise<void>;
}> {
  const context = await (await sharedBrowser()).newContext({ viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return { context, page, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}
