/**
 * Rules as code (issue #14 item 5): a version exported as a Falco rules folder (zip, tar.gz),
 * archives and folders imported into new versions, and Git sync with a real repository served
 * by `git http-backend` on loopback: a pushed version cloned with the git CLI, a commit made in
 * the repository imported with its sha, and the failures a user meets (branch, credentials,
 * unreachable host, the outbound policy) answered clearly.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';
import { type GitHttpServer, startGitHttpServer } from '../../../../test/git-http-server';

await provisionTestDatabase();
process.env.PEREGRINE_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
// The operator lets the console reach this machine's test Git server (refused by default).
process.env.PEREGRINE_OUTBOUND_ALLOW = '127.0.0.1';
const { getDb } = await import('@peregrine/db');
const { load } = await import('@peregrine/engine');
const { createOutboundPolicy } = await import('@peregrine/outbound');
const { createCaller } = await import('../../root');
const { handleRulesExport } = await import('./export-rule-set-version');
const { importRuleSetBranch } = await import('../../services/rules/import-rule-set-branch');
const { addMember, appCodeOf, contextFor, createOrganization, createUser } = await import(
  '../../../../test/fixtures'
);

const RULES = `- list: shell_binaries
  items: [bash, sh, zsh]

- rule: Shell spawned
  desc: a shell started
  condition: evt.type = execve and proc.name in (shell_binaries)
  output: Shell spawned (user=%user.name command=%proc.cmdline)
  priority: WARNING
`;
const EXTRA = `- rule: Netcat spawned
  desc: netcat started
  condition: evt.type = execve and proc.name = nc
  output: Netcat (command=%proc.cmdline)
  priority: NOTICE
`;
const TESTS = `- name: bash fires
  source: syscall
  event: { evt.type: execve, proc.name: bash, user.name: root, proc.cmdline: bash }
  expect:
    - rule: Shell spawned
`;

type Caller = ReturnType<typeof createCaller>;
let author: Caller;
let admin: Caller;
let viewer: Caller;
let authorUser: Awaited<ReturnType<typeof createUser>>;
let organizationId: string;
let ruleSetId: string;
let v1: string;
let git: GitHttpServer;
const scratch = mkdtempSync(path.join(tmpdir(), 'rules-as-code-'));
const TOKEN = 'glpat-test-token-0123456789';

beforeAll(async () => {
  const org = await createOrganization('Rules as code');
  organizationId = org.id;
  authorUser = await createUser('Ada Author');
  const adminUser = await createUser('Rules Admin');
  const viewerUser = await createUser('Vic Viewer');
  await addMember(org.id, authorUser.id, 'author');
  await addMember(org.id, adminUser.id, 'admin');
  await addMember(org.id, viewerUser.id, 'viewer');
  author = createCaller(contextFor(authorUser, org.id));
  admin = createCaller(contextFor(adminUser, org.id));
  viewer = createCaller(contextFor(viewerUser, org.id));
  ruleSetId = (await author.rules.createRuleSet({ name: 'Host rules / prod' })).ruleSet.id;
  // zz before aa: the version's load order is not name order, as in a real rule set.
  v1 = (
    await author.rules.createVersion({
      ruleSetId,
      files: [
        { name: 'zz_base.yaml', content: RULES },
        { name: 'aa_extra.yaml', content: EXTRA },
        { name: 'tests/shell.yaml', content: TESTS },
      ],
      message: 'Shell and netcat rules',
    })
  ).id;
  git = await startGitHttpServer({ username: 'peregrine-bot', password: TOKEN });
});

afterAll(async () => {
  await git?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Reads a folder as Falco's `rules_files: [folder]` does: its .yaml files in name order, no subfolders. */
function loadFolderAsFalco(folder: string) {
  const names = readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
    .map((d) => d.name)
    .sort();
  return load(names.map((name) => ({ name, content: readFileSync(path.join(folder, name), 'utf8') })));
}

async function download(versionId: string, format: string, caller = authorUser) {
  const { getAuth } = await import('@/server/auth/auth');
  const signIn = await getAuth().api.signInEmail({
    body: { email: caller.email, password: caller.password },
    asResponse: true,
  });
  const cookie = signIn.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return handleRulesExport(
    new Request(`http://localhost/api/rules/export?versionId=${versionId}&format=${format}`, {
      headers: { cookie: `${cookie}; peregrine.org=${organizationId}` },
    }),
  );
}

describe('export', () => {
  it.each(['zip', 'tar.gz'] as const)(
    'a version as %s unpacks into a folder Falco loads as the version',
    async (format) => {
      const res = await download(v1, format);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="Host-rules-prod-v2.${format}"`,
      );
      const file = path.join(scratch, `export.${format}`);
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      const folder = mkdtempSync(path.join(scratch, 'falco-'));
      if (format === 'zip') execFileSync('unzip', ['-q', file, '-d', folder]);
      else execFileSync('tar', ['-xzf', file, '-C', folder]);
      expect(readdirSync(folder).sort()).toEqual(['00-zz_base.yaml', '01-aa_extra.yaml', 'tests']);
      expect(readFileSync(path.join(folder, 'tests', 'shell.yaml'), 'utf8')).toBe(TESTS);
      const loaded = loadFolderAsFalco(folder);
      expect(loaded.ok).toBe(true);
      if (loaded.ok)
        expect(loaded.ruleset.rules.map((r) => r.name)).toEqual(['Shell spawned', 'Netcat spawned']);
    },
  );

  it('refuses a signed-out caller, a bad format and another organisation’s version', async () => {
    const { handleRulesExport: handle } = await import('./export-rule-set-version');
    const anonymous = await handle(
      new Request(`http://localhost/api/rules/export?versionId=${v1}&format=zip`),
    );
    expect(anonymous.status).toBe(401);
    expect((await download(v1, 'rar')).status).toBe(400);
    const other = await createOrganization('Other org');
    const stranger = await createUser('Stranger');
    await addMember(other.id, stranger.id, 'admin');
    const theirs = createCaller(contextFor(stranger, other.id));
    expect(await appCodeOf(theirs.rules.exportVersion({ versionId: v1, format: 'zip' }))).toBe('NOT_FOUND');
  });
});

describe('import of archives and folders', () => {
  it('round-trips an export into a new version, judged by the engine, audited as an import', async () => {
    const res = await download(v1, 'tar.gz');
    const base64 = Buffer.from(await res.arrayBuffer()).toString('base64');
    const out = await author.rules.importFiles({
      ruleSetId,
      message: 'From the archive',
      upload: { kind: 'archive', name: 'rules.tar.gz', base64 },
    });
    expect(out.version.status).toBe('valid');
    expect(out.files).toEqual(['00-zz_base.yaml', '01-aa_extra.yaml', 'tests/shell.yaml']);
    const saved = await viewer.rules.getVersion({ versionId: out.version.id });
    expect(saved.files.map((f) => f.content)).toEqual([RULES, EXTRA, TESTS]);
    const { prisma } = getDb(process.env.DATABASE_URL!);
    const entry = await prisma.auditLog.findFirst({
      where: { organizationId, action: 'ruleset.version.import', targetId: out.version.id },
      select: { after: true, actorUserId: true },
    });
    expect(entry?.actorUserId).toBe(authorUser.id);
    expect(entry?.after).toMatchObject({ imported: { from: 'archive', name: 'rules.tar.gz' }, files: 3 });
  });

  it('takes a picked folder; files that do not compile become a draft', async () => {
    const out = await author.rules.importFiles({
      ruleSetId,
      message: 'From a folder',
      upload: {
        kind: 'folder',
        name: 'my-rules',
        files: [
          { path: 'my-rules/base.yaml', content: '- rule: Broken\n  condition: evt.type =\n' },
          { path: 'my-rules/notes.md', content: '' },
        ],
      },
    });
    expect(out.version.status).toBe('draft');
    expect(out.files).toEqual(['base.yaml']);
    expect(out.skipped).toEqual([{ name: 'notes.md', reason: 'not a .yaml or .yml file' }]);
  });

  it('refuses traversal and garbage with a clear message, and viewers', async () => {
    const traversal = await author.rules
      .importFiles({
        ruleSetId,
        message: 'x',
        upload: { kind: 'folder', name: 'x', files: [{ path: '../../etc/x.yaml', content: '[]' }] },
      })
      .catch((e: Error) => e.message);
    expect(traversal).toBe('"../../etc/x.yaml" points outside the folder (..).');
    const garbage = await author.rules
      .importFiles({
        ruleSetId,
        message: 'x',
        upload: { kind: 'archive', name: 'photo.png', base64: Buffer.from('\x89PNG....').toString('base64') },
      })
      .catch((e: Error) => e.message);
    expect(garbage).toBe('photo.png is neither a .zip nor a .tar.gz archive.');
    expect(
      await appCodeOf(
        viewer.rules.importFiles({
          ruleSetId,
          message: 'x',
          upload: { kind: 'folder', name: 'x', files: [{ path: 'a.yaml', content: '[]' }] },
        }),
      ),
    ).toBe('INSUFFICIENT_ROLE');
  });
});

describe('Git sync', () => {
  it('only admins configure the remote; the token is stored encrypted and never returned', async () => {
    git.createRepository('rules');
    const settings = {
      ruleSetId,
      url: git.urlOf('rules'),
      branch: 'main',
      username: 'peregrine-bot',
      token: TOKEN,
    };
    expect(await appCodeOf(author.rules.saveGit(settings))).toBe('INSUFFICIENT_ROLE');
    const saved = await admin.rules.saveGit(settings);
    expect(saved).toMatchObject({ url: git.urlOf('rules'), branch: 'main', hasToken: true, lastSync: null });
    expect(JSON.stringify(await viewer.rules.getGit({ ruleSetId }))).not.toContain(TOKEN);
    const { prisma } = getDb(process.env.DATABASE_URL!);
    const row = await prisma.ruleSetGitRemote.findUnique({
      where: { ruleSetId },
      select: { secretsEncrypted: true },
    });
    expect(Buffer.from(row!.secretsEncrypted!).toString('latin1')).not.toContain(TOKEN);
    const audit = await prisma.auditLog.findFirst({
      where: { organizationId, action: 'ruleset.git.settings' },
      select: { after: true },
    });
    expect(audit?.after).toEqual({
      url: git.urlOf('rules'),
      branch: 'main',
      username: 'peregrine-bot',
      token: true,
    });
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  let pushed: string;

  it('pushes a version as a commit the git CLI clones: files replace the tree, author and message kept', async () => {
    const out = await author.rules.pushVersion({ ruleSetId, versionId: v1 });
    expect(out.unchanged).toBe(false);
    pushed = out.commit;
    const clone = path.join(scratch, 'clone-1');
    git.git(['clone', '--quiet', git.pathOf('rules'), clone]);
    expect(git.git(['rev-parse', 'HEAD'], clone)).toBe(out.commit);
    expect(git.git(['ls-files'], clone).split('\n')).toEqual([
      '00-zz_base.yaml',
      '01-aa_extra.yaml',
      'tests/shell.yaml',
    ]);
    expect(readFileSync(path.join(clone, '00-zz_base.yaml'), 'utf8')).toBe(RULES);
    expect(git.git(['log', '-1', '--format=%an <%ae>'], clone)).toBe(`Ada Author <${authorUser.email}>`);
    expect(git.git(['log', '-1', '--format=%s'], clone)).toBe('Shell and netcat rules');
    expect(out.remote.lastSync).toMatchObject({
      action: 'push',
      commit: out.commit,
      versionNumber: 2,
      error: null,
    });
    // The same files again: nothing to commit.
    const again = await author.rules.pushVersion({ ruleSetId, versionId: v1 });
    expect(again).toMatchObject({ commit: out.commit, unchanged: true });
  });

  it('imports a commit made in the repository as a new version recording its sha', async () => {
    const work = path.join(scratch, 'clone-2');
    git.git(['clone', '--quiet', git.pathOf('rules'), work]);
    rmSync(path.join(work, '01-aa_extra.yaml'));
    writeFileSync(
      path.join(work, '10-more.yaml'),
      EXTRA.replace('Netcat spawned', 'Ncat spawned').replace('= nc', '= ncat'),
    );
    writeFileSync(path.join(work, 'README.md'), '# rules\n');
    git.git(['add', '-A'], work);
    git.git(['commit', '--quiet', '-m', 'Rename the netcat rule'], work);
    git.git(['push', '--quiet', 'origin', 'main'], work);
    const head = git.git(['rev-parse', 'HEAD'], work);
    expect(head).not.toBe(pushed);

    const out = await author.rules.importBranch({ ruleSetId, message: '' });
    expect(out.commit).toBe(head);
    expect(out.files).toEqual(['00-zz_base.yaml', '10-more.yaml', 'tests/shell.yaml']);
    expect(out.skipped).toEqual([{ name: 'README.md', reason: 'not a .yaml or .yml file' }]);
    expect(out.version).toMatchObject({ status: 'valid', message: `Imported main at ${head.slice(0, 12)}` });
    const set = await viewer.rules.getRuleSet({ ruleSetId });
    const listed = set.versions.find((v) => v.id === out.version.id);
    expect(listed?.gitCommit).toBe(head);
    expect((await viewer.rules.getVersion({ versionId: out.version.id })).gitCommit).toBe(head);
    expect((await viewer.rules.getGit({ ruleSetId }))?.lastSync).toMatchObject({
      action: 'import',
      commit: head,
      versionNumber: out.version.number,
    });
  });

  it('pushes to a branch that does not exist yet', async () => {
    await admin.rules.saveGit({
      ruleSetId,
      url: git.urlOf('rules'),
      branch: 'peregrine/staging',
      username: 'peregrine-bot',
    });
    const out = await author.rules.pushVersion({ ruleSetId, versionId: v1 });
    expect(git.git(['--git-dir', git.pathOf('rules'), 'rev-parse', 'refs/heads/peregrine/staging'])).toBe(
      out.commit,
    );
    expect(git.git(['--git-dir', git.pathOf('rules'), 'rev-list', '--count', 'peregrine/staging'])).toBe('1');
  });

  it('says clearly what went wrong: branch, credentials, repository, host, policy', async () => {
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: Error) => e.message,
      );
    const base = { ruleSetId, url: git.urlOf('rules'), username: 'peregrine-bot' };

    await admin.rules.saveGit({ ...base, branch: 'nope' });
    expect(await fail(author.rules.importBranch({ ruleSetId }))).toBe(
      `The branch nope does not exist on ${git.urlOf('rules')}.`,
    );
    const remote = await viewer.rules.getGit({ ruleSetId });
    expect(remote?.lastSync).toMatchObject({
      action: 'import',
      commit: null,
      error: expect.stringContaining('nope'),
    });

    await admin.rules.saveGit({ ...base, branch: 'main', token: 'wrong-token' });
    expect(await fail(author.rules.pushVersion({ ruleSetId, versionId: v1 }))).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/rules\.git refused the credentials/,
    );

    await admin.rules.saveGit({ ...base, url: git.urlOf('missing'), branch: 'main', token: TOKEN });
    expect(await fail(author.rules.importBranch({ ruleSetId }))).toMatch(
      /^No Git repository at .*missing\.git|does not answer as a Git server/,
    );

    await admin.rules.saveGit({ ...base, url: 'http://127.0.0.1:9/rules.git', branch: 'main' });
    expect(await fail(author.rules.importBranch({ ruleSetId }))).toBe(
      'Cannot reach http://127.0.0.1:9/rules.git (ECONNREFUSED).',
    );

    expect(await fail(admin.rules.saveGit({ ...base, branch: 'bad..name' }))).toBe(
      '"bad..name" is not a valid Git branch name.',
    );
    expect(
      await fail(admin.rules.saveGit({ ...base, url: 'http://user:pw@127.0.0.1/x.git', branch: 'main' })),
    ).toBe('outbound request refused: credentials in the URL.');

    // Without the operator's allowance, loopback (and private, metadata) addresses are refused,
    // also when a host name resolves to one.
    await admin.rules.saveGit({
      ...base,
      url: git.urlOf('rules').replace('127.0.0.1', 'localhost'),
      branch: 'main',
    });
    const strict = createOutboundPolicy({ allowSetting: 'PEREGRINE_OUTBOUND_ALLOW' });
    const caller = { organizationId, actor: { userId: authorUser.id, apiKeyId: null } };
    expect(await fail(importRuleSetBranch(caller, { ruleSetId, message: '' }, strict))).toMatch(
      /^outbound request to localhost \((127\.0\.0\.1|::1)\) refused: loopback address \(an operator can allow it with PEREGRINE_OUTBOUND_ALLOW\)\.$/,
    );
  });
});
