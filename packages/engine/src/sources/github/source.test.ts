import { describe, expect, it } from 'vitest';
import type { Extracted } from '../../fields/types.js';
import { createGithubSource } from './source.js';

const src = createGithubSource();
const get = (ev: unknown, name: string, arg?: string): Extracted => src.bind(name, arg).extract(ev);

const push = {
  webhook_type: 'push',
  ref: 'refs/heads/main',
  before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
  after: '59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5',
  compare: 'https://github.com/octo-org/hello/compare/6113728f27ae...59b20b8d5c6f',
  repository: {
    full_name: 'octo-org/hello',
    html_url: 'https://github.com/octo-org/hello',
    description: null,
    private: false,
    owner: { login: 'octo-org' },
  },
  organization: { login: 'octo-org' },
  sender: { login: 'octocat' },
  head_commit: { id: '59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5' },
  commits: [
    { id: 'a', added: ['a.txt', 'b.txt'], modified: ['README.md'], removed: [] },
    { id: 'b', added: ['c.txt'], modified: [], removed: ['old.txt'] },
  ],
  files: [
    { name: 'config/aws.env', matches: [{ line: 3, type: 'key', desc: 'aws_access_key', platform: 'aws' }] },
    { name: 'README.md', matches: null },
    {
      name: 'id_rsa',
      matches: [{ line: 1, type: 'secret', desc: 'asymmetric_private_key', platform: 'ssh' }],
    },
  ],
};

describe('github', () => {
  it('reads the webhook basics', () => {
    expect(get(push, 'github.type')).toBe('push');
    expect(get(push, 'github.user')).toBe('octocat');
    expect(get(push, 'github.repo.url')).toBe('https://github.com/octo-org/hello');
    expect(get(push, 'github.repo.name')).toBe('octo-org/hello');
    expect(get(push, 'github.repo.description')).toBe('');
    expect(get(push, 'github.org')).toBe('octo-org');
    expect(get(push, 'github.owner')).toBe('octo-org');
    expect(get(push, 'github.repo.public')).toBe('true');
    expect(get({ ...push, repository: { ...push.repository, private: true } }, 'github.repo.public')).toBe(
      'false',
    );
  });

  it('most fields are always present, as "" when the key is missing', () => {
    expect(get(push, 'github.action')).toBe('');
    expect(get(push, 'github.collaborator.name')).toBe('');
    expect(get(push, 'github.webhook.id')).toBe('0');
    expect(get({ webhook_type: 'ping', hook: { id: 420, type: 'Repository' } }, 'github.webhook.id')).toBe(
      '420',
    );
    expect(get({ webhook_type: 'ping' }, 'github.repo.public')).toBe('true');
  });

  it('joins commit files and secret matches with one comma between every value', () => {
    expect(get(push, 'github.commit.added')).toBe('a.txt,b.txt,c.txt');
    expect(get(push, 'github.commit.removed')).toBe('old.txt');
    expect(get(push, 'github.diff.has_secrets')).toBe('true');
    expect(get(push, 'github.diff.committed_secrets.desc')).toBe('aws_access_key,asymmetric_private_key');
    expect(get(push, 'github.diff.committed_secrets.files')).toBe('config/aws.env,id_rsa');
    expect(get(push, 'github.diff.committed_secrets.lines')).toBe('3,1');
    expect(get(push, 'github.diff.committed_secrets.links')).toBe(
      'https://github.com/octo-org/hello/blob/59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5/config/aws.env/#L3,' +
        'https://github.com/octo-org/hello/blob/59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5/id_rsa/#L1',
    );
    const clean = { ...push, files: [{ name: 'x', matches: null }] };
    expect(get(clean, 'github.diff.has_secrets')).toBe('false');
    // Without the diff scan the secret fields are missing.
    expect(get({ webhook_type: 'push' }, 'github.diff.has_secrets')).toBeUndefined();
  });

  it('workflow miners', () => {
    const run = {
      webhook_type: 'workflow_run',
      action: 'requested',
      workflow: { path: '.github/workflows/ci.yml' },
      workflow_miner_detections: {
        name: '.github/workflows/ci.yml',
        matches: [
          { line: 4, type: 'xmrig' },
          { line: 9, type: 'stratum' },
          { line: 10, type: 'xmrig' },
        ],
      },
    };
    expect(get(run, 'github.workflow.has_miners')).toBe('true');
    expect(get(run, 'github.workflow.miners.type')).toBe('stratum,xmrig');
    expect(get(run, 'github.workflow.filename')).toBe('.github/workflows/ci.yml');
    const none = { ...run, workflow_miner_detections: { name: 'x', matches: null } };
    expect(get(none, 'github.workflow.has_miners')).toBeUndefined();
  });

  it('member events and flat maps', () => {
    const member = {
      webhook_type: 'member',
      action: 'added',
      member: { login: 'mallory' },
      changes: { permission: { to: 'admin' } },
    };
    expect(get(member, 'github.collaborator.name')).toBe('mallory');
    expect(get(member, 'github.collaborator.role')).toBe('admin');
    expect(get({ 'github.type': 'ping' }, 'github.type')).toBe('ping');
    expect(get({ 'github.type': 'ping' }, 'github.action')).toBeUndefined();
    expect(get(member, 'json.value', '/member/login')).toBe('mallory');
  });
});
