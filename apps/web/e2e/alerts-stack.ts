import { readFile } from 'node:fs/promises';
import { createCloudSource, getDb } from '@peregrine/db';
import type { Page } from 'playwright-core';
import { completeSetup } from './console';
import { startStack } from './stack';

/** The console and the real collector on one fresh database, sharing PEREGRINE_SECRET_KEY. */
export interface AlertsStack {
  baseUrl: string;
  collectorUrl: string;
  databaseUrl: string;
  setupToken: string;
  /** The console server's process id (its memory is read from /proc). */
  consolePid: number;
  consoleLogs: string[];
  collectorLogs: string[];
  stop: () => Promise<void>;
}

/**
 * Starts the stack for one e2e file (stack.ts); `stop` ends both processes and drops the database.
 * `consoleNodeOptions` go to the console's NODE_OPTIONS (a heap limit, for memory checks).
 */
export async function startAlertsStack(options: { consoleNodeOptions?: string } = {}): Promise<AlertsStack> {
  const stack = await startStack(options);
  return {
    baseUrl: stack.baseUrl,
    collectorUrl: stack.collectorUrl,
    databaseUrl: stack.databaseUrl,
    setupToken: stack.setupToken,
    consolePid: stack.web.child.pid ?? 0,
    consoleLogs: stack.web.logs,
    collectorLogs: stack.collector.logs,
    stop: async () => {
      await getDb(stack.databaseUrl).close();
      await stack.stop();
    },
  };
}

/** First run through the real setup form: the admin, their organisation and its environments. */
export async function setUpAdmin(
  page: Page,
  stack: AlertsStack,
  admin: { name: string; email: string; password: string; org: string },
): Promise<void> {
  await completeSetup(page, stack.baseUrl, stack.setupToken, admin);
}

/** A Falco http_output source in `environment`, and a function posting alerts to it as Falco does. */
export async function falcoSource(
  stack: AlertsStack,
  environment: string,
): Promise<(alerts: Record<string, unknown>[]) => Promise<void>> {
  const db = getDb(stack.databaseUrl);
  const env = await db.prisma.environment.findFirstOrThrow({ where: { name: environment } });
  const created = await createCloudSource(db, {
    organizationId: env.organizationId,
    environmentId: env.id,
    kind: 'falco',
    name: `falco-${environment}`,
    issueToken: true,
  });
  const token = created.token as string;
  return async (alerts) => {
    for (const alert of alerts) {
      const res = await fetch(`${stack.collectorUrl}/?token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'falcosecurity/falco' },
        body: JSON.stringify(alert),
      });
      if (res.status !== 200) throw new Error(`the collector answered ${res.status}: ${await res.text()}`);
    }
  };
}

/** Peak resident memory (VmHWM) of a process, in bytes. */
export async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmHWM for process ${pid}`);
  return Number(kb) * 1024;
}
