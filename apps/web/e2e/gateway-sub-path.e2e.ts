import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { createCloudSource, getDb } from '@peregrine/db';
import { copyMigratedTemplate, TEST_SERVER_URL, reservePort } from '@peregrine/db/testing';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { GATEWAY_BASE_PATH } from './global-setup';
import { adminQuery, CONSOLE_SERVER, issueTestSetupToken } from './console';
import { COLLECTOR_MAIN, type Running, startNode, stopProcess, waitForUrl } from './stack';

/**
 * The console behind a gateway under /peregrine (PEREGRINE_BASE_PATH), and the collector under
 * /collector of the same gateway: set-up, sign-in with a deep link, the alert list with an alert
 * pushed live over socket.io through the gateway, and a page link. The gateway answers 404 for
 * anything outside its two prefixes, so a link, fetch or socket that forgot the sub-path fails.
 */
const APP_DIR = path.resolve(import.meta.dirname, '..');
const ROOT = path.resolve(APP_DIR, '../..');
const BASE_PATH = GATEWAY_BASE_PATH;
const ADMIN_URL = TEST_SERVER_URL;
const SECRET = randomBytes(32).toString('base64');
const admin = { name: 'Ada Gateway', email: 'ada@gateway.test', password: 'analytical engine 1843' };

const database = `peregrine_web_e2e_gateway_${Date.now()}_${randomBytes(3).toString('hex')}`;
const databaseUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
})();
let web: Running | undefined;
let collector: Running | undefined;
let gateway: Server | undefined;
let gatewayUrl = '';
let consoleUrl = '';
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let setupToken = '';
/** Requests the gateway could not route: each one is a URL that forgot the sub-path. */
const unrouted: string[] = [];
const browserErrors: string[] = [];

/**
 * A reverse proxy as a gateway is set up: `/peregrine/...` to the console as it is (Next serves
 * the sub-path itself), `/collector/...` to the collector with the prefix taken off, websocket
 * upgrades included; anything else is 404.
 */
function startGateway(port: number, consolePort: number, collectorPort: number): Promise<Server> {
  const route = (url: string): { port: number; path: string } | null => {
    if (url === BASE_PATH || url.startsWith(`${BASE_PATH}/`) || url.startsWith(`${BASE_PATH}?`)) {
      return { port: consolePort, path: url };
    }
    if (url.startsWith('/collector/')) return { port: collectorPort, path: url.slice('/collector'.length) };
    unrouted.push(url);
    return null;
  };
  const server = createServer((req, res) => {
    const target = route(req.url ?? '/');
    if (!target) {
      res.writeHead(404).end('not routed by the gateway');
      return;
    }
    const upstream = httpRequest(
      { host: '127.0.0.1', port: target.port, path: target.path, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const target = route(req.url ?? '/');
    if (!target) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const upstream = connect(target.port, '127.0.0.1', () => {
      const lines = [`${req.method} ${target.path} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

/** Waits for the sub-path build the global set-up started; builds here when it started none. */
async function subPathBuild(): Promise<void> {
  const status = inject('subPathBuildStatus');
  if (!status) {
    await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, 'scripts/build.mjs'), '--filter=@peregrine/web'],
      { cwd: ROOT, env: { ...process.env, PEREGRINE_BASE_PATH: BASE_PATH }, maxBuffer: 64 * 1024 * 1024 },
    );
    return;
  }
  for (;;) {
    const code = await readFile(status, 'utf8').catch(() => undefined);
    if (code !== undefined) {
      if (code.trim() !== '0') {
        const log = await readFile(`${status}.log`, 'utf8').catch(() => '');
        throw new Error(`the console's build for ${BASE_PATH} failed (${code}):\n${log.slice(-4000)}`);
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  if (!existsSync(COLLECTOR_MAIN))
    throw new Error('build the collector first: npm run build -w @peregrine/collector');
  // The console for this sub-path: Next fixes basePath at build time, so this is its own build
  // (.next-peregrine), made the way `npm start` makes it, started by the e2e global set-up while
  // the other files ran (e2e/global-setup.ts); turbo reuses it while nothing changed.
  await subPathBuild();
  // A copy of the migrated template: migrating each file's database again took 5-10 s.
  await copyMigratedTemplate(database);
  setupToken = await issueTestSetupToken(databaseUrl);
  const [gatewayPort, webPort, collectorPort] = [
    await reservePort(),
    await reservePort(),
    await reservePort(),
  ];
  gatewayUrl = `http://localhost:${gatewayPort}`;
  consoleUrl = `${gatewayUrl}${BASE_PATH}`;
  collector = startNode(
    [COLLECTOR_MAIN],
    {
      DATABASE_URL: databaseUrl,
      COLLECTOR_HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collectorPort),
      PEREGRINE_SECRET_KEY: SECRET,
      LOG_LEVEL: 'warn',
      COLLECTOR_SPOOL_DIR: path.join(APP_DIR, `.e2e-spool-${database}`),
    },
    path.dirname(COLLECTOR_MAIN),
  );
  web = startNode(
    [CONSOLE_SERVER],
    {
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      PORT: String(webPort),
      DATABASE_URL: databaseUrl,
      BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
      BETTER_AUTH_URL: consoleUrl,
      PEREGRINE_BASE_PATH: BASE_PATH,
      PEREGRINE_SECRET_KEY: SECRET,
      // Where browsers reach the collector: through the gateway, under a path of its own.
      PEREGRINE_COLLECTOR_URL: `${gatewayUrl}/collector`,
    },
    APP_DIR,
  );
  gateway = await startGateway(gatewayPort, webPort, collectorPort);
  await Promise.all([
    waitForUrl(`http://127.0.0.1:${collectorPort}/healthz`, collector),
    waitForUrl(`${consoleUrl}/api/health`, web),
  ]);
  browser = await launchBrowser();
  page = browser.page;
  page.on('console', (m) => {
    if (m.type() === 'error') browserErrors.push(m.text());
  });
  page.on('pageerror', (e) => browserErrors.push(e.message));
}, 1_200_000);

afterAll(async () => {
  await browser?.close();
  await getDb(databaseUrl).close();
  await Promise.all([stopProcess(web), stopProcess(collector)]);
  await new Promise((resolve) => (gateway ? gateway.close(resolve) : resolve(undefined)));
  gateway?.closeAllConnections();
  await adminQuery(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page) {
    await screenshot(page, `gateway-failed-${context.task.name.slice(0, 40).replace(/\W+/g, '-')}`);
  }
});

describe(`the console under ${BASE_PATH} behind a gateway`, () => {
  it('sets up, signs out, and signs in again through a deep link', async () => {
    await page.goto(`${consoleUrl}/setup?token=${setupToken}`);
    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Confirm password').fill(admin.password);
    await page.getByLabel('Organisation name').fill('Gateway Security');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(consoleUrl);
    await page.goto(`${consoleUrl}/sign-out`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${consoleUrl}/sign-in?signedOut=1`);
    // Signed out, a deep link goes to sign-in under the sub-path and comes back afterwards.
    await page.goto(`${consoleUrl}/alerts?env=production`);
    await page.waitForURL(`${consoleUrl}/sign-in?next=${encodeURIComponent('/alerts?env=production')}`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await screenshot(page, 'gateway-00-sign-in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${consoleUrl}/alerts?env=production`);
  });

  it('pushes a new alert live through the gateway', async () => {
    await page
      .locator('[data-testid="live-status"][data-status="live"]')
      .waitFor({ timeout: 30_000 })
      .catch((error: unknown) => {
        throw new Error(
          `${String(error)}\nbrowser errors:\n${browserErrors.join('\n')}\nunrouted: ${unrouted}`,
        );
      });
    const db = getDb(databaseUrl);
    const env = await db.prisma.environment.findFirstOrThrow({ where: { name: 'production' } });
    const source = await createCloudSource(db, {
      organizationId: env.organizationId,
      environmentId: env.id,
      kind: 'falco',
      name: 'falco-gateway',
      issueToken: true,
    });
    // Falco's http_output, through the gateway's collector path.
    const res = await fetch(`${gatewayUrl}/collector/?token=${encodeURIComponent(source.token as string)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'falcosecurity/falco' },
      body: JSON.stringify({
        uuid: randomBytes(16).toString('hex'),
        time: new Date().toISOString(),
        rule: 'Terminal shell in container',
        priority: 'Warning',
        source: 'syscall',
        output: 'A shell was spawned behind the gateway (user=root shell=bash)',
        output_fields: { 'proc.name': 'bash' },
        hostname: 'gateway-node',
        tags: ['container'],
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await page
      .locator('[data-testid="alert-row"][data-fresh="true"]', { hasText: 'Terminal shell in container' })
      .waitFor({ timeout: 20_000 });
    await screenshot(page, 'gateway-01-live-alert');
  });

  it('follows page links under the sub-path, and nothing escapes it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules' }).click();
    await page.waitForURL(`${consoleUrl}/rules`);
    await page.getByRole('heading', { name: 'Rules' }).first().waitFor();
    await screenshot(page, 'gateway-02-rules');
    expect(unrouted).toEqual([]);
  });
});
