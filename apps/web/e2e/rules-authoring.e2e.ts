import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GitHttpServer, startGitHttpServer } from '../test/git-http-server';
import { launchBrowser, screenshot } from './browser';
import { startConsole } from './console';

// The operator allows this machine's test Git server (loopback is refused otherwise).
const { baseUrl, setupToken } = await startConsole({ env: { PEREGRINE_OUTBOUND_ALLOW: '127.0.0.1' } });
const GIT_TOKEN = 'e2e-git-token-0123456789';
// The first-run account of first-run.e2e.ts; this file creates it itself when it runs alone.
const admin = {
  name: 'Ada Lovelace',
  email: 'ada@peregrine.test',
  password: 'analytical engine 1843',
  organization: 'Analytical Security',
};

const BROKEN_RULE = `
- rule: Netcat in container
  desc: netcat started in a container
  condition: spawned_process and container.id != host and proc.nmae = nc
  output: Netcat started (command=%proc.cmdline container=%container.name)
  priority: NOTICE
`;

/** The starter rules with the shell rule raised to ERROR and a netcat rule added. */
function fixedRules(starter: string): string {
  return `${starter.replace('priority: WARNING', 'priority: ERROR')}${BROKEN_RULE.replace('proc.nmae', 'proc.name')}`;
}

let browser: Awaited<ReturnType<typeof launchBrowser>>;
/** Uncaught exceptions in the page (Monaco, workers, React): the console must raise none. */
const pageErrors: string[] = [];
let ruleSetUrl = '';

async function signIn(page: Page): Promise<void> {
  await page.goto(`${baseUrl}/setup?token=${setupToken}`);
  if (new URL(page.url()).pathname === '/setup') {
    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Confirm password').fill(admin.password);
    await page.getByLabel('Organisation name').fill(admin.organization);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(`${baseUrl}/`);
    return;
  }
  await page.goto(`${baseUrl}/rules`);
  if (new URL(page.url()).pathname.startsWith('/sign-in')) {
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  }
}

/** The visible text of the editor. */
async function editorText(page: Page): Promise<string> {
  // Monaco renders spaces as no-break spaces.
  return ((await page.locator('[data-testid="rules-editor"] .view-lines').textContent()) ?? '').replace(
    /\u00a0/g,
    ' ',
  );
}

/** Pastes text at the cursor, as a user pasting YAML would (typing would be auto-indented). */
async function paste(page: Page, text: string): Promise<void> {
  await page.evaluate((value) => navigator.clipboard.writeText(value), text);
  await page.keyboard.press('Control+V');
}

async function replaceEditorText(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid="rules-editor"] .view-lines').click();
  await page.keyboard.press('Control+A');
  await paste(page, text);
}

/** Waits until an environment's row shows the given active version. */
async function activeIn(page: Page, env: string, version: string): Promise<void> {
  await page
    .getByTestId(`env-${env}`)
    .getByTestId('active-version')
    .getByText(version, { exact: true })
    .waitFor();
}

async function reviewAndConfirm(page: Page, button: RegExp): Promise<void> {
  await page.getByTestId('diff-summary').waitFor();
  // The review's parts that load on their own (the YAML diff editor, the latest backtest) are in
  // place before the confirm box is clicked: a part appearing above it mid-click moved it away.
  await page.getByTestId('review-diff-editor').waitFor();
  await page.getByTestId('review-backtest').waitFor();
  await page.getByLabel(/I reviewed these changes/).check();
  await page.getByRole('button', { name: button }).click();
  await page.waitForURL((url) => /\/rules\/[^/]+$/.test(url.pathname));
}

beforeAll(async () => {
  browser = await launchBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  browser.page.on('pageerror', (error) => pageErrors.push(error.message));
  await signIn(browser.page);
});

afterEach(async (context) => {
  // A failed step leaves a picture of the page behind for diagnosis.
  if (context.task.result?.state === 'fail' && browser) {
    await screenshot(browser.page, `rules-failed-${context.task.name.replace(/\W+/g, '-').slice(0, 60)}`);
  }
});

afterAll(async () => {
  await browser?.close();
  await git?.close();
  rmSync(scratch, { recursive: true, force: true });
});

let git: GitHttpServer | undefined;
const scratch = mkdtempSync(path.join(tmpdir(), 'rules-as-code-e2e-'));

describe('rule authoring', () => {
  it('creates a rule set from the starter rules and opens it in the editor with hover docs', async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/rules`);
    await page.getByRole('button', { name: 'New rule set' }).click();
    await page.getByLabel('Name').fill('Container runtime');
    await page.getByLabel('Description').fill('Shells and tools started inside containers');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForURL(/\/rules\/[0-9a-f-]{36}/);
    ruleSetUrl = page.url().split('?')[0]!;
    await page.locator('[data-testid="rules-editor"] .monaco-editor').waitFor();
    await page.getByTestId('editor-status').getByText('Compiles').waitFor();
    // Condition-language highlighting: fields and word operators get their own tokens.
    expect(await editorText(page)).toContain('proc.name in (interactive_shells)');
    await screenshot(page, 'rules-01-editor');
    // Hover documents a field from the engine's registry and a list with its items.
    const lines = page.locator('[data-testid="rules-editor"] .view-line');
    await lines
      .locator('span', { hasText: /^proc\.name$/ })
      .first()
      .hover();
    const hover = page.locator('.monaco-hover:not(.hidden)');
    await hover.getByText('proc.name', { exact: false }).first().waitFor();
    expect(await hover.first().textContent()).toContain('syscall');
    await screenshot(page, 'rules-01b-hover');
    await lines
      .locator('span', { hasText: /^interactive_shells$/ })
      .last()
      .hover();
    await hover
      .getByText(/list.*4 items/)
      .first()
      .waitFor();
    await page.mouse.move(0, 0);
  });

  it('runs pasted sample events through the draft and shows the rules that fire', async () => {
    const { page } = browser;
    await page.getByRole('tab', { name: 'Test events' }).click();
    await page.getByRole('button', { name: 'Run events' }).click();
    const results = page.getByTestId('test-result');
    await results.first().getByText('Interactive shell in container').waitFor();
    expect(await results.first().textContent()).toContain(
      'Shell in container (user=root command=bash -i container=web)',
    );
    expect(await results.nth(1).textContent()).toContain('No rule fired.');
    await screenshot(page, 'rules-02-test-panel');
    await page.getByRole('tab', { name: /Problems/ }).click();
  });

  it('shows an engine diagnostic as a marker while a rule is being edited', async () => {
    const { page } = browser;
    const starter = await editorText(page);
    expect(starter).toContain('Interactive shell in container');
    await page.locator('[data-testid="rules-editor"] .view-lines').click();
    await page.keyboard.press('Control+End');
    await paste(page, BROKEN_RULE);
    await page.locator('[data-testid="rules-editor"] .squiggly-error').first().waitFor();
    await page
      .getByTestId('problems')
      .getByText(/proc\.nmae/)
      .waitFor();
    await page.getByTestId('editor-status').getByText('1 error').waitFor();
    await screenshot(page, 'rules-03-diagnostic-marker');
  });

  it('completes field names in a condition', async () => {
    const { page } = browser;
    await page.keyboard.press('Control+End');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('End');
    await page.keyboard.type(' and proc.pn');
    await page.keyboard.press('Control+Space');
    await page.locator('.suggest-widget .monaco-list-row', { hasText: 'proc.pname' }).first().waitFor();
    await screenshot(page, 'rules-04-completion');
    // The label is laid out beside its icon (the console's generic classes must not leak in).
    const label = page.locator('.suggest-widget .monaco-list-row.focused .label-name');
    const icon = page.locator('.suggest-widget .monaco-list-row.focused .suggest-icon');
    const [labelBox, iconBox] = [await label.boundingBox(), await icon.boundingBox()];
    expect(Math.abs((labelBox?.y ?? 0) - (iconBox?.y ?? 100))).toBeLessThan(8);
    await page.keyboard.press('Escape');
  });

  it('saves the broken draft, then a fixed valid version', async () => {
    const { page } = browser;
    await page.getByLabel('Version message').fill('netcat rule (typo)');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page
      .getByRole('status')
      .getByText(/as a draft/)
      .waitFor();
    await page.getByTestId('version-list').locator('li').nth(1).waitFor();
    expect(await page.getByTestId('version-list').locator('li').count()).toBe(2);
    // A draft can gain and lose files; tabs follow.
    await page.getByRole('button', { name: '+ File' }).click();
    await page.getByLabel('New file name').fill('network_rules.yaml');
    await page.getByLabel('New file name').press('Enter');
    await page.getByRole('tab', { name: 'network_rules.yaml' }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Remove file' }).click();
    await page.getByRole('tab', { name: 'network_rules.yaml' }).waitFor({ state: 'detached' });
  });
});

describe('promotion with diff, environment override and rollback', () => {
  it('activates version 1 in staging and promotes it to production after review', async () => {
    const { page } = browser;
    await page.getByTestId('version-list').getByRole('button', { name: /v1/ }).click();
    await page.getByTestId('env-staging').getByRole('link', { name: 'Activate v1…' }).click();
    await reviewAndConfirm(page, /^Activate v1$/);
    await page
      .getByTestId('env-staging')
      .getByRole('link', { name: /Promote v1 to Production/ })
      .click();
    await page.getByTestId('rule-diff').getByText('Interactive shell in container').waitFor();
    await reviewAndConfirm(page, /^Promote v1$/);
    await activeIn(page, 'production', 'v1');
  });

  it('overrides a list in production only, validated by the engine', async () => {
    const { page } = browser;
    await page.goto(`${baseUrl}/lists?env=production`);
    const item = page.getByTestId('override-list-interactive_shells');
    await item.getByRole('button', { name: 'Override in Production' }).click();
    const box = item.getByLabel('Production value of interactive_shells');
    await box.fill('bash\nsh\nzsh\ndash\nfish');
    await item.getByRole('button', { name: 'Save override' }).click();
    await item.getByText('Overridden in Production').waitFor();
    await item.getByText('fish', { exact: true }).waitFor();
    // A macro override that does not compile is refused before it is saved.
    const macro = page.getByTestId('override-macro-spawned_process');
    await macro.getByRole('button', { name: 'Override in Production' }).click();
    await macro
      .getByLabel('Production value of spawned_process')
      .fill('evt.type in (execve) and proc.nope = 1');
    await macro
      .getByText(/proc\.nope/)
      .first()
      .waitFor();
    expect(await macro.getByRole('button', { name: 'Save override' }).isDisabled()).toBe(true);
    await screenshot(page, 'rules-05-list-override');
    await macro.getByRole('button', { name: 'Cancel' }).click();
    await page.goto(`${baseUrl}/lists?env=staging`);
    await page.getByTestId('override-list-interactive_shells').getByText('base value').waitFor();
  });

  it('saves a fixed version, reviews the diff against production and promotes it', async () => {
    const { page } = browser;
    await page.goto(ruleSetUrl);
    await page.getByTestId('version-list').getByRole('button', { name: /v1/ }).click();
    await page.getByTestId('editor-status').getByText('v1').waitFor();
    await replaceEditorText(page, fixedRules(STARTER));
    await page.getByTestId('editor-status').getByText('Compiles').waitFor();
    await page.getByLabel('Version message').fill('netcat rule, shells are errors');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page
      .getByRole('status')
      .getByText(/Saved version 3\. It compiles/)
      .waitFor();
    await page.getByTestId('env-staging').getByRole('link', { name: 'Activate v3…' }).click();
    await reviewAndConfirm(page, /^Activate v3$/);
    await page
      .getByTestId('env-staging')
      .getByRole('link', { name: /Promote v3 to Production/ })
      .click();
    const summary = page.getByTestId('diff-summary');
    await summary.waitFor();
    const diff = page.getByTestId('rule-diff');
    await diff.locator('[data-change="added"]').getByText('Netcat in container').waitFor();
    const changed = diff.locator('[data-change="changed"]');
    await changed.getByText('Interactive shell in container').waitFor();
    expect(await changed.textContent()).toContain('Priority');
    await page.getByTestId('override-diff').getByText('interactive_shells').waitFor();
    await screenshot(page, 'rules-06-promotion-diff');
    await reviewAndConfirm(page, /^Promote v3$/);
    await activeIn(page, 'production', 'v3');
    await screenshot(page, 'rules-07-promoted');
  });

  it('rolls production back to version 1', async () => {
    const { page } = browser;
    await page.getByTestId('version-list').getByRole('link', { name: 'Roll back Production to v1…' }).click();
    await page.getByTestId('diff-summary').waitFor();
    await page
      .getByTestId('rule-diff')
      .locator('[data-change="removed"]')
      .getByText('Netcat in container')
      .waitFor();
    await screenshot(page, 'rules-08-rollback-review');
    await reviewAndConfirm(page, /^Roll back v1$/);
    await activeIn(page, 'production', 'v1');
    await page.goto(`${baseUrl}/environments`);
    await page.getByTestId('environment-rules').getByText('Review promotion of v3 to Production').waitFor();
    await screenshot(page, 'rules-09-environments');
    await page.goto(`${baseUrl}/rules`);
    await page.getByTestId('rule-sets-table').getByText('Container runtime').waitFor();
    await screenshot(page, 'rules-10-rule-sets');
  });

  it('runs a version’s tests/ file in the editor, and holds back activation until an admin gives a reason', async () => {
    const { page } = browser;
    await page.goto(ruleSetUrl);
    await page.getByTestId('version-list').getByRole('button', { name: /v3/ }).click();
    await page.getByTestId('editor-status').getByText('v3').waitFor();
    await page.getByRole('button', { name: '+ File' }).click();
    await page.getByLabel('New file name').fill('tests/shells.yaml');
    await page.getByLabel('New file name').press('Enter');
    await page.getByRole('tab', { name: 'tests/shells.yaml' }).waitFor();
    await replaceEditorText(
      page,
      '- test: ls is an interactive shell\n  event: {evt.type: execve, proc.name: ls}\n  expect: [Interactive shell in container]\n',
    );
    // The test runs as the draft changes: it fails, and the rules still compile.
    await page.getByTestId('editor-tests').getByText('Tests 0/1 pass').waitFor();
    await page.getByTestId('editor-status').getByText('Compiles').waitFor();
    await page.getByLabel('Version message').fill('a test that fails');
    await page.getByRole('button', { name: 'Save version' }).click();
    await page
      .getByRole('status')
      .getByText(/Saved version 4\. It compiles/)
      .waitFor();
    await page.getByTestId('env-staging').getByRole('link', { name: 'Activate v4…' }).click();
    await page
      .getByTestId('review-tests')
      .getByText("1 of 1 rule tests fail with Staging's overrides.")
      .waitFor();
    await page.getByText("expected 'Interactive shell in container' to fire; it did not").waitFor();
    await page.getByLabel(/I reviewed these changes/).check();
    const activate = page.getByRole('button', { name: /^Activate v4$/ });
    expect(await activate.isDisabled()).toBe(true);
    await page.getByLabel('Reason to ignore failing tests').fill('ls coverage lands in the next version');
    await screenshot(page, 'rules-11-failing-tests-review');
    await activate.click();
    await page.waitForURL((url) => /\/rules\/[^/]+$/.test(url.pathname));
    await activeIn(page, 'staging', 'v4');
  });

  it('exports the version as a Falco rules folder and imports an archive and a folder as new versions', async () => {
    const { page } = browser;
    await page.goto(ruleSetUrl);
    const panel = page.getByTestId('rules-as-code');
    await panel.getByText('Export v4').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('link', { name: '.tar.gz' }).click(),
    ]);
    const archive = path.join(scratch, download.suggestedFilename());
    await download.saveAs(archive);
    expect(download.suggestedFilename()).toBe('Container-runtime-v4.tar.gz');
    expect(execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' })).toContain('tests/shells.yaml');

    await page.getByTestId('import-archive').setInputFiles(archive);
    await panel
      .getByTestId('rules-as-code-notice')
      .getByText(/Imported 2 files as version 5\./)
      .waitFor();
    await page.getByTestId('editor-status').getByText('v5').waitFor();

    const folder = path.join(scratch, 'my-rules');
    mkdirSync(path.join(folder, 'tests'), { recursive: true });
    writeFileSync(path.join(folder, 'shells.yaml'), STARTER);
    writeFileSync(path.join(folder, 'README.md'), '# our rules\n');
    await page.getByTestId('import-folder').setInputFiles(folder);
    await panel
      .getByTestId('rules-as-code-notice')
      .getByText(/Imported 1 file as version 6\./)
      .waitFor();
    await panel.getByText('README.md').waitFor();
    await screenshot(page, 'rules-12-imported-folder');
  });

  it('syncs the rule set with a Git repository: settings, push, and import from the branch', async () => {
    const { page } = browser;
    git = await startGitHttpServer({ username: 'peregrine-bot', password: GIT_TOKEN });
    git.createRepository('falco-rules');
    const panel = page.getByTestId('rules-as-code');
    await panel.getByRole('button', { name: 'Connect…' }).click();
    const dialog = page.getByTestId('git-settings');
    await dialog.getByLabel('Repository URL (HTTPS)').fill(git.urlOf('falco-rules'));
    await dialog.getByLabel('User name').fill('peregrine-bot');
    await dialog.getByLabel(/^Token/).fill(GIT_TOKEN);
    await screenshot(page, 'rules-13-git-settings');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await panel
      .getByTestId('git-remote')
      .getByText(`${git.urlOf('falco-rules')} · main`)
      .waitFor();

    await panel.getByRole('button', { name: 'Push v6' }).click();
    await panel
      .getByTestId('git-last-sync')
      .getByText(/^Pushed v6 as [0-9a-f]{7}/)
      .waitFor();
    const clone = path.join(scratch, 'clone');
    git.git(['clone', '--quiet', git.pathOf('falco-rules'), clone]);
    expect(git.git(['ls-files'], clone)).toBe('shells.yaml');
    expect(git.git(['log', '-1', '--format=%an <%ae>|%s'], clone)).toBe(
      `${admin.name} <${admin.email}>|Imported folder my-rules`,
    );
    await screenshot(page, 'rules-14-git-pushed');

    writeFileSync(path.join(clone, 'shells.yaml'), fixedRules(STARTER));
    git.git(['commit', '--quiet', '-am', 'Add the netcat rule'], clone);
    git.git(['push', '--quiet', 'origin', 'main'], clone);
    const head = git.git(['rev-parse', 'HEAD'], clone);
    await panel.getByRole('button', { name: 'Import from main' }).click();
    await panel
      .getByTestId('rules-as-code-notice')
      .getByText(`Imported ${head.slice(0, 7)} as version 7.`)
      .waitFor();
    await page
      .getByTestId('version-list')
      .getByText(`git ${head.slice(0, 7)}`)
      .waitFor();
    await page.getByTestId('editor-status').getByText('v7').waitFor();
    await screenshot(page, 'rules-15-git-imported');
  });

  it('says why a Git import fails', async () => {
    const { page } = browser;
    const panel = page.getByTestId('rules-as-code');
    await panel.getByRole('button', { name: 'Settings…' }).click();
    const dialog = page.getByTestId('git-settings');
    await dialog.getByLabel('Branch').fill('release');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await panel.getByRole('button', { name: 'Import from release' }).click();
    await panel
      .getByRole('alert')
      .getByText(`The branch release does not exist on ${git!.urlOf('falco-rules')}.`)
      .waitFor();
    await panel
      .getByTestId('git-last-sync')
      .getByText(/^Import failed: The branch release/)
      .waitFor();
    await screenshot(page, 'rules-16-git-error');
  });

  it('raised no uncaught errors in the browser along the way', () => {
    expect(pageErrors).toEqual([]);
  });
});

const STARTER = `# Falco rules: lists, macros and rules load in order.
- list: interactive_shells
  items: [bash, sh, zsh, dash]

- macro: spawned_process
  condition: evt.type in (execve, execveat)

- rule: Interactive shell in container
  desc: A shell started inside a container; containers rarely need one.
  condition: spawned_process and container.id != host and proc.name in (interactive_shells)
  output: Shell in container (user=%user.name command=%proc.cmdline container=%container.name)
  priority: WARNING
  tags: [container, shell, mitre_execution]
`;
