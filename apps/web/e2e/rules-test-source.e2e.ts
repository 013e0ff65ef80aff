import { gzipSync } from 'node:zlib';
import { writeSampleCapture } from '@peregrine/engine';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { startConsole, completeSetup } from './console';

/**
 * Issue #13: the rule test panel starts from the source of the rule under the editor's cursor,
 * not from the first file's (a CloudTrail file first made every syscall test match nothing).
 */
const { baseUrl, setupToken } = await startConsole();
const admin = {
  name: 'Mary Jackson',
  email: 'mary@peregrine.test',
  password: 'wind tunnel 1958',
  org: 'Hampton Security',
};

const CLOUDTRAIL_RULES = `- rule: Console login without MFA
  desc: a console login without MFA
  condition: ct.name = ConsoleLogin
  output: Console login (user=%ct.user)
  priority: WARNING
  source: aws_cloudtrail
`;

const SYSCALL_RULES = `- rule: Shell in a container
  desc: a shell started in a container
  condition: evt.type = execve and proc.name = bash and container.id != host
  output: Shell in a container (user=%user.name command=%proc.cmdline)
  priority: WARNING
`;

let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const pageErrors: string[] = [];

/** One tRPC mutation with the page's session, as the console's own client makes it. */
async function mutate<T>(path: string, input: unknown): Promise<T> {
  const response = await page.request.post(`${baseUrl}/api/trpc/${path}`, {
    headers: { 'content-type': 'application/json' },
    data: input,
  });
  expect(response.status(), await response.text()).toBe(200);
  return ((await response.json()) as { result: { data: T } }).result.data;
}

beforeAll(async () => {
  browser = await launchBrowser();
  page = browser.page;
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await completeSetup(page, baseUrl, setupToken, admin);
}, 120_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && page) {
    await screenshot(page, `rules-source-failed-${context.task.name.replace(/\W+/g, '-').slice(0, 40)}`);
  }
});

afterAll(async () => {
  await browser?.close();
});

describe('the rule test panel', () => {
  it('tests the syscall rule under the cursor as syscall events, though a CloudTrail file comes first', async () => {
    const { ruleSet } = await mutate<{ ruleSet: { id: string } }>('rules.createRuleSet', {
      name: 'Mixed sources',
    });
    await mutate('rules.createVersion', {
      ruleSetId: ruleSet.id,
      files: [
        { name: 'cloudtrail_rules.yaml', content: CLOUDTRAIL_RULES },
        { name: 'syscall_rules.yaml', content: SYSCALL_RULES },
      ],
      message: 'CloudTrail first, then syscall',
    });
    await page.goto(`${baseUrl}/rules/${ruleSet.id}`);
    await page.getByTestId('editor-status').getByText('Compiles').waitFor();
    await page.getByRole('tab', { name: 'syscall_rules.yaml' }).click();
    const line = page.locator('[data-testid="rules-editor"] .view-line', { hasText: 'container.id != host' });
    await line.click();
    await page.getByRole('tab', { name: 'Test events' }).click();
    const source = page.getByLabel('Event source');
    await expect.poll(() => source.inputValue(), { timeout: 10_000 }).toBe('syscall');
    await page.getByRole('button', { name: 'Run events' }).click();
    const results = page.getByTestId('test-result');
    await results.first().getByText('Shell in a container', { exact: true }).waitFor();
    expect(await results.first().textContent()).toContain('Shell in a container (user=root command=bash -i)');
    await screenshot(page, 'rules-source-1-syscall-under-cursor');

    // Back on the CloudTrail file, the panel follows the rule there.
    await page.getByRole('tab', { name: 'cloudtrail_rules.yaml' }).click();
    await page.locator('[data-testid="rules-editor"] .view-line', { hasText: 'ct.name' }).click();
    await expect.poll(() => source.inputValue(), { timeout: 10_000 }).toBe('aws_cloudtrail');
    // A source picked by hand stays picked while the cursor moves.
    await source.selectOption('k8s_audit');
    await page.locator('[data-testid="rules-editor"] .view-line', { hasText: 'priority' }).click();
    expect(await source.inputValue()).toBe('k8s_audit');
    expect(pageErrors).toEqual([]);
  });

  it('tests the draft on an uploaded Falco capture (.scap.gz), with the thread state Falco rebuilds', async () => {
    const { ruleSet } = await mutate<{ ruleSet: { id: string } }>('rules.createRuleSet', {
      name: 'Captures',
    });
    await mutate('rules.createVersion', {
      ruleSetId: ruleSet.id,
      files: [
        {
          name: 'curl_rules.yaml',
          content: `- rule: Curl from a login shell
  desc: curl started by a shell under sshd
  condition: evt.type = execve and evt.dir = < and proc.name = curl and proc.aname[2] = sshd
  output: curl by %proc.pname under %proc.aname[2] (%proc.cmdline)
  priority: WARNING
`,
        },
      ],
      message: 'curl under sshd',
    });
    await page.goto(`${baseUrl}/rules/${ruleSet.id}`);
    // The draft is the saved version's files once the editor shows them.
    await page
      .locator('[data-testid="rules-editor"] .view-line', { hasText: 'Curl from a login shell' })
      .waitFor();
    await page.getByRole('tab', { name: 'Test events' }).click();
    await page.getByLabel('Upload events or a capture').setInputFiles({
      name: 'session.scap.gz',
      mimeType: 'application/gzip',
      buffer: gzipSync(writeSampleCapture()),
    });
    await page.getByTestId('capture-loaded').getByText('session.scap.gz').waitFor();
    const result = page.getByTestId('test-result');
    await result.first().getByText('Curl from a login shell', { exact: true }).waitFor();
    expect(await result.count()).toBe(1);
    expect(await result.first().textContent()).toContain(
      'curl by bash under sshd (curl -s http://93.184.216.34/)',
    );
    expect(await page.getByLabel('Event source').inputValue()).toBe('syscall');
    await screenshot(page, 'rules-source-2-capture');
    expect(pageErrors).toEqual([]);
  });
});
