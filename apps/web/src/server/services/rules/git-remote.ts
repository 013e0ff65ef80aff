import 'server-only';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createOutboundPolicy, type OutboundPolicy, OutboundRefusedError } from '@peregrine/outbound';
import git, { type GitAuth, type HttpClient } from 'isomorphic-git';
import { serverEnv } from '@/env';
import { AppError } from '../../errors/app-error';
import { ARCHIVE_LIMITS, type RawEntry } from './rules-archive';

/**
 * A rule set's Git remote, reached with isomorphic-git over HTTP(S) through the console's
 * outbound policy (no loopback, private or metadata address unless PEREGRINE_OUTBOUND_ALLOW
 * lists it). Each operation works in a throw-away bare repository holding only the branch head
 * (depth 1), so nothing of a tenant's repository stays on the console's disk.
 */

export interface GitRemoteTarget {
  url: string;
  branch: string;
  username: string;
  token: string | null;
}

/** What a push or a fetch may transfer, so a huge repository cannot exhaust the console. */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

let sharedPolicy: OutboundPolicy | undefined;

/** The console's outbound policy (the operator's PEREGRINE_OUTBOUND_ALLOW). */
export function consoleOutboundPolicy(): OutboundPolicy {
  sharedPolicy ??= createOutboundPolicy({
    allow: serverEnv().outboundAllow,
    allowSetting: 'PEREGRINE_OUTBOUND_ALLOW',
    maxRedirects: 0,
  });
  return sharedPolicy;
}

/**
 * isomorphic-git's HTTP client over the policy's agents: every socket is checked where it is
 * opened (after DNS), redirects are not followed (the smart HTTP protocol needs none), and
 * responses are bounded in size and time.
 */
export function policyHttpClient(policy: OutboundPolicy): HttpClient & { close(): void } {
  const { httpAgent, httpsAgent } = policy.agents();
  return {
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
    async request({ url, method = 'GET', headers = {}, body }) {
      const target = policy.checkUrl(url);
      const chunks: Uint8Array[] = [];
      if (body) for await (const chunk of body) chunks.push(chunk);
      const payload = Buffer.concat(chunks);
      const secure = target.protocol === 'https:';
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = (secure ? https : http).request(target, {
          method,
          headers: { ...headers, ...(payload.length ? { 'content-length': String(payload.length) } : {}) },
          agent: secure ? httpsAgent : httpAgent,
          timeout: REQUEST_TIMEOUT_MS,
        });
        req.on('response', resolve);
        req.on('error', reject);
        req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
        req.end(payload);
      });
      let received = 0;
      async function* bounded(): AsyncGenerator<Uint8Array> {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) {
            res.destroy();
            throw new AppError(
              'INVALID_INPUT',
              `The Git server sent more than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB: keep the rules in a smaller repository.`,
            );
          }
          yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
      }
      const outHeaders: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') outHeaders[k] = v;
      return {
        url,
        method,
        statusCode: res.statusCode ?? 0,
        statusMessage: res.statusMessage ?? '',
        headers: outHeaders,
        body: bounded(),
      };
    },
  };
}

/** The remote's URL as shown in messages (never with credentials). */
function shown(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'the remote';
  }
}

/**
 * A failed Git operation as a message a user can act on: credentials, branch, repository,
 * network, a refusal of the outbound policy, or a branch that moved. Never the token.
 */
export function gitFailure(error: unknown, target: GitRemoteTarget): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof OutboundRefusedError) return new AppError('INVALID_INPUT', `${error.message}.`);
  const e = error as { code?: string; data?: { statusCode?: number; reason?: string }; message?: string };
  const where = shown(target.url);
  switch (e.code) {
    case 'HttpError': {
      const status = e.data?.statusCode ?? 0;
      if (status === 401 || status === 403) {
        return new AppError(
          'INVALID_INPUT',
          `${where} refused the credentials (HTTP ${status}): check the user name and token, and that the token may ${status === 403 ? 'write to' : 'read'} the repository.`,
        );
      }
      if (status === 404) return new AppError('INVALID_INPUT', `No Git repository at ${where} (HTTP 404).`);
      return new AppError('UNAVAILABLE', `${where} answered HTTP ${status}.`);
    }
    case 'UserCanceledError':
      return new AppError(
        'INVALID_INPUT',
        `${where} refused the credentials: check the user name and token (or set one if the repository is private).`,
      );
    case 'PushRejectedError':
      return new AppError(
        'CONFLICT',
        `The branch ${target.branch} moved on ${where} while pushing (${e.data?.reason ?? 'rejected'}): push again.`,
      );
    case 'GitPushError':
      return new AppError('INVALID_INPUT', `${where} refused the push: ${e.message ?? 'unknown reason'}.`);
    case 'SmartHttpError':
    case 'EmptyServerResponseError':
    case 'UnknownTransportError':
    case 'UrlParseError':
      return new AppError('INVALID_INPUT', `${where} does not answer as a Git server over HTTP(S).`);
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
      return new AppError('UNAVAILABLE', `Cannot reach ${where} (${e.code}).`);
    default:
      return new AppError('UNAVAILABLE', `Git operation on ${where} failed: ${e.code ?? 'error'}.`, {
        cause: error,
      });
  }
}

function authOf(target: GitRemoteTarget): { onAuth?: () => GitAuth; onAuthFailure?: () => GitAuth } {
  if (!target.token) return {};
  // Basic auth: GitHub, GitLab and Gitea take any user name with a token as the password.
  const auth = { username: target.username || 'peregrine', password: target.token };
  return { onAuth: () => auth, onAuthFailure: () => ({ cancel: true }) };
}

/**
 * Runs `work` with a throw-away bare repository whose `origin` is the target and an HTTP client
 * under the policy; both are gone afterwards (folder removed, kept-alive sockets closed).
 */
async function withScratch<T>(
  target: GitRemoteTarget,
  policy: OutboundPolicy,
  work: (gitdir: string, client: HttpClient) => Promise<T>,
): Promise<T> {
  const gitdir = await mkdtemp(path.join(tmpdir(), 'peregrine-git-'));
  const client = policyHttpClient(policy);
  try {
    await git.init({ fs, gitdir, bare: true, defaultBranch: target.branch });
    await git.addRemote({ fs, gitdir, remote: 'origin', url: target.url });
    return await work(gitdir, client);
  } catch (error) {
    throw gitFailure(error, target);
  } finally {
    client.close();
    await rm(gitdir, { recursive: true, force: true });
  }
}

/** The commit at the head of the branch, or null when the remote has no such branch (or no commit). */
async function remoteHead(
  target: GitRemoteTarget,
  client: HttpClient,
  forPush: boolean,
): Promise<string | null> {
  const refs = await git.listServerRefs({
    http: client,
    url: target.url,
    prefix: `refs/heads/${target.branch}`,
    forPush,
    protocolVersion: 1,
    ...authOf(target),
  });
  return refs.find((r) => r.ref === `refs/heads/${target.branch}`)?.oid ?? null;
}

async function fetchHead(gitdir: string, target: GitRemoteTarget, client: HttpClient): Promise<void> {
  await git.fetch({
    fs,
    http: client,
    gitdir,
    remote: 'origin',
    ref: target.branch,
    singleBranch: true,
    depth: 1,
    tags: false,
    ...authOf(target),
  });
}

/** Checks a branch name as Git does (roughly), before it is used in a ref or a URL. */
export function branchProblem(branch: string): string | undefined {
  if (!branch || branch.length > 200) return 'Name a branch';
  if (
    /[\s~^:?*[\\\u0000-\u001f\u007f]/.test(branch) ||
    branch.includes('..') ||
    branch.includes('@{') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch.startsWith('-') ||
    branch.split('/').some((s) => s === '' || s.startsWith('.'))
  ) {
    return `${JSON.stringify(branch)} is not a valid Git branch name`;
  }
  return undefined;
}

/**
 * The files of the branch head as raw entries (names as in the repository) and the commit's id.
 * A missing branch is a clear refusal.
 */
export async function readBranch(
  target: GitRemoteTarget,
  policy: OutboundPolicy = consoleOutboundPolicy(),
): Promise<{ commit: string; entries: RawEntry[] }> {
  return withScratch(target, policy, async (gitdir, client) => {
    const head = await remoteHead(target, client, false);
    if (!head) {
      throw new AppError(
        'INVALID_INPUT',
        `The branch ${target.branch} does not exist on ${shown(target.url)}.`,
      );
    }
    await fetchHead(gitdir, target, client);
    const entries: RawEntry[] = [];
    const visit = async (treeOid: string, prefix: string, depth: number): Promise<void> => {
      const { tree } = await git.readTree({ fs, gitdir, oid: treeOid });
      for (const item of tree) {
        if (entries.length >= ARCHIVE_LIMITS.entries) {
          throw new AppError('INVALID_INPUT', `The branch holds more than ${ARCHIVE_LIMITS.entries} files.`);
        }
        const name = `${prefix}${item.path}`;
        if (item.type === 'tree') {
          entries.push({ name: `${name}/`, kind: 'dir' });
          // Only the top and tests/ can hold version files: deeper folders are listed, not read.
          if (depth < 1) await visit(item.oid, `${name}/`, depth + 1);
        } else if (item.type === 'commit') entries.push({ name, kind: 'other' });
        else if (item.mode === '120000') entries.push({ name, kind: 'link' });
        else if (!/\.ya?ml$/i.test(name)) entries.push({ name, kind: 'file', data: new Uint8Array() });
        else {
          const { blob } = await git.readBlob({ fs, gitdir, oid: item.oid });
          entries.push(
            blob.length > ARCHIVE_LIMITS.fileBytes
              ? { name, kind: 'file' }
              : { name, kind: 'file', data: blob },
          );
        }
      }
    };
    const { commit } = await git.readCommit({ fs, gitdir, oid: head });
    await visit(commit.tree, '', 0);
    return { commit: head, entries };
  });
}

/** Who a pushed commit names as its author and committer. */
export interface GitAuthor {
  name: string;
  email: string;
}

/**
 * Writes `files` as the whole tree of a new commit on the branch (a new branch when it does not
 * exist yet), authored by `author`, with `message`, and pushes it. A tree identical to the
 * head's is not committed again: the head is returned with `unchanged`.
 */
export async function pushFiles(
  target: GitRemoteTarget,
  input: { files: { name: string; content: string }[]; author: GitAuthor; message: string },
  policy: OutboundPolicy = consoleOutboundPolicy(),
): Promise<{ commit: string; unchanged: boolean }> {
  return withScratch(target, policy, async (gitdir, client) => {
    const head = await remoteHead(target, client, true);
    let parentTree: string | null = null;
    if (head) {
      await fetchHead(gitdir, target, client);
      parentTree = (await git.readCommit({ fs, gitdir, oid: head })).commit.tree;
    }
    const encoder = new TextEncoder();
    const blobOf = (content: string) => git.writeBlob({ fs, gitdir, blob: encoder.encode(content) });
    const top: { mode: string; path: string; oid: string; type: 'blob' | 'tree' }[] = [];
    const tests: typeof top = [];
    for (const f of input.files) {
      const oid = await blobOf(f.content);
      if (f.name.startsWith('tests/'))
        tests.push({ mode: '100644', path: f.name.slice(6), oid, type: 'blob' });
      else top.push({ mode: '100644', path: f.name, oid, type: 'blob' });
    }
    if (tests.length) {
      top.push({
        mode: '040000',
        path: 'tests',
        oid: await git.writeTree({ fs, gitdir, tree: tests }),
        type: 'tree',
      });
    }
    const tree = await git.writeTree({ fs, gitdir, tree: top });
    if (head && tree === parentTree) return { commit: head, unchanged: true };
    const now = Math.floor(Date.now() / 1000);
    const who = { ...input.author, timestamp: now, timezoneOffset: 0 };
    const commit = await git.writeCommit({
      fs,
      gitdir,
      commit: {
        tree,
        parent: head ? [head] : [],
        author: who,
        committer: who,
        message: `${input.message.trim()}\n`,
      },
    });
    await git.writeRef({ fs, gitdir, ref: `refs/heads/${target.branch}`, value: commit, force: true });
    const result = await git.push({
      fs,
      http: client,
      gitdir,
      remote: 'origin',
      ref: target.branch,
      remoteRef: target.branch,
      ...authOf(target),
    });
    const status = result.refs[`refs/heads/${target.branch}`];
    if (!result.ok || (status && !status.ok)) {
      throw new AppError(
        'INVALID_INPUT',
        `${shown(target.url)} refused the push: ${status?.error ?? result.error ?? 'unknown reason'}.`,
      );
    }
    return { commit, unchanged: false };
  });
}
