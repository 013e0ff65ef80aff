import { defineSource, type FieldSpec } from '../../fields/define.js';
import { prefixedKeyTest } from '../../fields/flat.js';
import type { Extracted, SourceDef } from '../../fields/types.js';
import { isObject } from '../../fields/values.js';
import { envelopeTime, jsonFields, path, pluginEvtFields, type Rec, rf } from '../plugin/common.js';

/**
 * `github`: GitHub webhook payloads with the event name stored as `webhook_type` (the
 * X-GitHub-Event header) and the collector's enrichment (`files`, `workflow_miner_detections`).
 * Like the Go plugin, most fields are always present (`""` when the key is missing).
 */

/** The plugin's GetStringBytes: a string value, else "". */
function gs(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

const at =
  (...keys: string[]) =>
  (r: Rec): string =>
    gs(path(r, keys));

interface Match {
  line: unknown;
  desc: unknown;
}

/** Secret matches of the push enrichment, or undefined when `files` is not an array (field missing). */
function matches(r: Rec): Array<{ file: string; match: Match }> | undefined {
  const files = r.files;
  if (!Array.isArray(files)) return undefined;
  const out: Array<{ file: string; match: Match }> = [];
  for (const f of files) {
    if (!isObject(f) || !Array.isArray(f.matches)) continue;
    for (const m of f.matches) if (isObject(m)) out.push({ file: gs(f.name), match: m as unknown as Match });
  }
  return out;
}

/**
 * Comma-joined per-match values. Decision: one separator between every value; the plugin
 * forgets the comma between files/commits (`a,b` + `c` -> `a,bc`).
 */
function joinMatches(r: Rec, render: (x: { file: string; match: Match }, r: Rec) => string): Extracted {
  const ms = matches(r);
  return ms === undefined ? undefined : ms.map((x) => render(x, r)).join(',');
}

function commitFiles(kind: 'added' | 'modified' | 'removed') {
  return (r: Rec): string => {
    const commits = r.commits;
    if (!Array.isArray(commits)) return '';
    const out: string[] = [];
    for (const c of commits) {
      const files = isObject(c) ? c[kind] : undefined;
      if (Array.isArray(files)) for (const f of files) out.push(gs(f));
    }
    return out.join(',');
  };
}

const time = (_r: Rec, e: Rec) => envelopeTime(e, () => undefined);

const GITHUB_FIELDS: FieldSpec[] = [
  rf(
    'github.type',
    'CHARBUF',
    'Webhook event type (X-GitHub-Event: push, repository, member, workflow_run, ...).',
    at('webhook_type'),
    { recordPath: ['webhook_type'] },
  ),
  rf('github.action', 'CHARBUF', 'Action of the event (created, deleted, publicized, ...).', at('action')),
  rf('github.user', 'CHARBUF', 'Login of the user that triggered the event.', at('sender', 'login')),
  rf(
    'github.repo',
    'CHARBUF',
    'Deprecated: URL of the repository (as github.repo.url).',
    at('repository', 'html_url'),
    { hidden: true },
  ),
  rf('github.repo.url', 'CHARBUF', 'URL of the repository.', at('repository', 'html_url')),
  rf(
    'github.repo.name',
    'CHARBUF',
    'Repository as owner/name (the URL without https://github.com/).',
    (r) => {
      const url = gs(path(r, ['repository', 'html_url']));
      return url.startsWith('https://github.com/') ? url.slice('https://github.com/'.length) : url;
    },
  ),
  rf('github.repo.description', 'CHARBUF', 'Description of the repository.', at('repository', 'description')),
  rf(
    'github.org',
    'CHARBUF',
    'Organization login ("" for user-owned repositories).',
    at('organization', 'login'),
  ),
  rf('github.owner', 'CHARBUF', 'Login of the repository owner.', at('repository', 'owner', 'login')),
  rf(
    'github.repo.public',
    'CHARBUF',
    '"false" for private repositories, "true" otherwise (also when there is no repository).',
    (r) => (path(r, ['repository', 'private']) === true ? 'false' : 'true'),
  ),
  rf(
    'github.collaborator.name',
    'CHARBUF',
    'Login of the collaborator added or removed (member events).',
    at('member', 'login'),
  ),
  rf(
    'github.collaborator.role',
    'CHARBUF',
    'New permission of the collaborator.',
    at('changes', 'permission', 'to'),
  ),
  rf('github.webhook.id', 'CHARBUF', 'ID of the webhook (decimal), "0" when missing.', (r) => {
    const id = path(r, ['hook', 'id']);
    return typeof id === 'number' && id >= 0 ? String(Math.trunc(id)) : '0';
  }),
  rf(
    'github.webhook.type',
    'CHARBUF',
    'Type of the webhook (Repository, Organization, ...).',
    at('hook', 'type'),
  ),
  rf(
    'github.commit.added',
    'CHARBUF',
    'Files added by the pushed commits, comma-separated.',
    commitFiles('added'),
  ),
  rf(
    'github.commit.modified',
    'CHARBUF',
    'Files modified by the pushed commits, comma-separated.',
    commitFiles('modified'),
  ),
  rf(
    'github.commit.removed',
    'CHARBUF',
    'Files removed by the pushed commits, comma-separated.',
    commitFiles('removed'),
  ),
  rf(
    'github.diff.has_secrets',
    'CHARBUF',
    '"true" if the pushed diff adds secrets, "false" if not; missing without diff scan.',
    (r) => {
      const ms = matches(r);
      return ms === undefined ? undefined : ms.length > 0 ? 'true' : 'false';
    },
  ),
  rf(
    'github.diff.committed_secrets.desc',
    'CHARBUF',
    'Kinds of the committed secrets (aws_access_key, ...), comma-separated.',
    (r) => joinMatches(r, (x) => gs(x.match.desc)),
  ),
  rf(
    'github.diff.committed_secrets.files',
    'CHARBUF',
    'Files holding committed secrets, once per secret.',
    (r) => joinMatches(r, (x) => x.file),
  ),
  rf('github.diff.committed_secrets.lines', 'CHARBUF', 'Line numbers of the committed secrets.', (r) =>
    joinMatches(r, (x) => (typeof x.match.line === 'number' ? String(x.match.line) : '')),
  ),
  rf('github.diff.committed_secrets.links', 'CHARBUF', 'Links to the committed secrets.', (r) =>
    joinMatches(
      r,
      (x, rec) =>
        `${gs(path(rec, ['repository', 'html_url']))}/blob/${gs(path(rec, ['head_commit', 'id']))}/${x.file}/#L${typeof x.match.line === 'number' ? x.match.line : ''}`,
    ),
  ),
  rf(
    'github.workflow.has_miners',
    'CHARBUF',
    '"true" if the workflow file runs a crypto miner; missing when the scan found none.',
    (r) => {
      const m = path(r, ['workflow_miner_detections', 'matches']);
      return Array.isArray(m) ? (m.length > 0 ? 'true' : 'false') : undefined;
    },
  ),
  rf(
    'github.workflow.miners.type',
    'CHARBUF',
    'Distinct miner kinds found in the workflow, sorted, comma-separated.',
    (r) => {
      const m = path(r, ['workflow_miner_detections', 'matches']);
      if (!Array.isArray(m)) return undefined;
      // Decision: sorted (the plugin iterates a Go map, so its order is random).
      return [...new Set(m.map((x) => gs(isObject(x) ? x.type : undefined)))].sort().join(',');
    },
  ),
  rf('github.workflow.filename', 'CHARBUF', 'Path of the workflow file.', at('workflow', 'path')),
];

/** The `github` source (Falco github plugin fields). */
export function createGithubSource(): SourceDef {
  return defineSource({
    name: 'github',
    description: 'GitHub webhook events (Falco github plugin fields github.*).',
    fields: [...pluginEvtFields('github', 'github', time), ...GITHUB_FIELDS, ...jsonFields(time)],
    isFlat: prefixedKeyTest(['github.', 'jevt.', 'json.', 'evt.']),
  });
}
