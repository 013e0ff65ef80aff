/**
 * Page-load time of every console page in Chromium against the built console
 * (run: `npx turbo run build --filter=@peregrine/web --filter=@peregrine/collector`, then
 * `cd apps/web && npx vitest run --config vitest.bench.config.ts bench/page-load.bench.ts`).
 *
 * A fresh database with the demo organisation's default rules (as `npm start` seeds it), the
 * console and the collector as built, a signed-in admin. Each page is opened BENCH_RUNS times
 * after one warm-up visit (the first request of a route compiles nothing in production, but
 * fills the server's caches), and the time is from navigation start to the end of the last
 * network response the page made (HTML, scripts, styles, tRPC queries), once the network is
 * idle: what the user waits for before the page shows its data. Median and worst are printed.
 */
import { randomBytes } from 'node:crypto';
import { getDb } from '@peregrine/db';
import { expect, it } from 'vitest';
import { launchBrowser } from '../e2e/browser';
import { seedDefaults, startStack } from '../e2e/stack';
import { NAV_ITEMS } from '../src/features/shell/nav-items';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** The target on a quiet machine; printed next to each figure, asserted only with BENCH_STRICT=1. */
const TARGET_MS = 1000;

it(
  'loads every console page',
  async () => {
    const stack = await startStack();
    const browser = await launchBrowser();
    const { page } = browser;
    try {
      // The demo organisation with the default rules, as `npm start` seeds it.
      const setupToken = await seedDefaults(stack);
      const password = randomBytes(12).toString('base64url');
      await page.goto(`${stack.baseUrl}/setup?token=${setupToken}`);
      await page.getByLabel('Your name').fill('Bench Admin');
      await page.getByLabel('Email').fill('bench@peregrine.test');
      await page.getByLabel('Password', { exact: true }).fill(password);
      await page.getByLabel('Confirm password').fill(password);
      await page.getByLabel('Organisation name').fill('Bench');
      await page.getByRole('button', { name: 'Create administrator' }).click();
      await page.waitForURL(`${stack.baseUrl}/`);

      const results: { page: string; median: number; worst: number }[] = [];
      for (const item of NAV_ITEMS) {
        const times: number[] = [];
        for (let run = 0; run <= RUNS; run++) {
          await page.goto('about:blank');
          await page.goto(`${stack.baseUrl}${item.href}`, { waitUntil: 'load' });
          await page.waitForLoadState('networkidle');
          const ms = await page.evaluate(() => {
            const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
            const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
            return Math.max(nav.loadEventEnd, ...resources.map((r) => r.responseEnd));
          });
          if (run > 0) times.push(ms);
        }
        times.sort((a, b) => a - b);
        results.push({
          page: `${item.label} (${item.href})`,
          median: Math.round(times[Math.floor(times.length / 2)] ?? 0),
          worst: Math.round(times.at(-1) ?? 0),
        });
      }
      const load = (await import('node:os')).loadavg().map((n) => n.toFixed(2));
      console.log(`\npage load, ${RUNS} runs each, load average ${load.join(' ')}`);
      console.log('| page | median ms | worst ms |\n|---|---:|---:|');
      for (const r of results) console.log(`| ${r.page} | ${r.median} | ${r.worst} |`);
      if (process.env.BENCH_STRICT === '1') {
        for (const r of results) expect(r.median, r.page).toBeLessThan(TARGET_MS);
      }
    } finally {
      await browser.close();
      await getDb(stack.databaseUrl).close();
      await stack.stop();
    }
  },
  15 * 60_000,
);
