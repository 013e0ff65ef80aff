import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CollectorError } from '../http/errors.js';
import type { OutboundPolicy } from '@peregrine/outbound';
import type { IngestEvent } from '../pipeline/types.js';
import type { IngestModule } from './register.js';
import { sourceFromPath } from './shared/auth.js';
import { BodyBudget, boundUnverifiedBodies } from './shared/body-budget.js';
import { ShapeError } from '../http/errors.js';
import { parseCleanJson } from './shared/clean-text.js';
import { type JsonBody, mediaType, parseJsonBody, requestBytes, setupIngestScope } from './shared/http.js';
import { exceedsDepth, isRecord, MAX_EVENT_DEPTH, msToNs, pluginEvent } from './shared/plugin-event.js';
import type { ResolvedSource } from './shared/source-store.js';
import {
  type CloudIngestDeps,
  countSanitized,
  noteActivity,
  pushAnswer,
  submitCloudEvents,
} from './shared/submit.js';
import { dbIngestDeps } from './shared/wiring.js';
import { type FileSecrets, type MinerDetections, scanPatch, scanWorkflow } from './github-secrets.js';

/**
 * GitHub webhooks at `POST /ingest/github/:sourceId` (the URL set as the hook's Payload URL).
 *
 * - Authenticity: `X-Hub-Signature-256: sha256=<HMAC-SHA256(secret, raw body)>`, compared in
 *   constant time against the source's `webhookSecret`. The legacy sha1 header is accepted only
 *   when the source's config sets `allowSha1Signature: true`.
 * - Identity: `X-GitHub-Delivery` is the ingest key, so GitHub's "Redeliver" never doubles an alert.
 * - Diffs: a push payload carries no patches. For `push` the collector calls GitHub's compare API
 *   (`GET {apiBaseUrl}/repos/{full_name}/compare/{before}...{after}`, or each commit for a push
 *   that creates a branch, with the source's optional `apiToken`, needed for private
 *   repositories) and scans each file's patch for secrets, adding `files` as Falco's github
 *   plugin does. For `workflow_run` it reads the workflow file at the
 *   run's head commit and adds `workflow_miner_detections`. GitHub gives a hook 10 s to answer,
 *   so these calls have a short deadline; when one fails the event is still stored (without the
 *   added key, so `github.diff.has_secrets` is absent rather than wrongly "false") and the error
 *   is recorded on the source. `apiBaseUrl` (GitHub Enterprise) is reached through the outbound
 *   policy (packages/outbound), like every tenant-configured destination.
 */

export const GITHUB_SOURCE = 'github';
const ZERO_SHA = '0000000000000000000000000000000000000000';

export interface GithubOptions {
  /** GitHub caps webhook payloads at 25 MB. */
  bodyLimit?: number;
  /**
   * Bytes of not yet verified bodies read at once (signatures are checked once a body is read):
   * the total for the route and the share of one peer address. Beyond it: 429 + Retry-After.
   */
  unverifiedBytes?: { total: number; perPeer: number };
  /** Deadline for each enrichment API call. */
  apiTimeoutMs?: number;
}

interface GithubConfig {
  apiBaseUrl: string;
  scanDiffs: boolean;
  scanWorkflows: boolean;
  allowSha1Signature: boolean;
}

function configOf(source: ResolvedSource): GithubConfig {
  const c = source.config;
  const base =
    typeof c.apiBaseUrl === 'string' && c.apiBaseUrl !== '' ? c.apiBaseUrl : 'https://api.github.com';
  return {
    apiBaseUrl: base.replace(/\/+$/, ''),
    scanDiffs: c.scanDiffs !== false,
    scanWorkflows: c.scanWorkflows !== false,
    allowSha1Signature: c.allowSha1Signature === true,
  };
}

/** Verifies GitHub's signature headers over the raw body; throws 401 on any mismatch. */
export function verifyGithubSignature(
  body: Buffer,
  secret: string,
  headers: { sha256?: string | undefined; sha1?: string | undefined },
  allowSha1: boolean,
): void {
  const check = (algorithm: 'sha256' | 'sha1', header: string): boolean => {
    const m = new RegExp(`^${algorithm}=([0-9a-fA-F]+)$`).exec(header.trim());
    if (!m) return false;
    const given = Buffer.from(m[1] as string, 'hex');
    const expected = createHmac(algorithm, secret).update(body).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  if (headers.sha256 !== undefined) {
    if (check('sha256', headers.sha256)) return;
    throw new CollectorError('UNAUTHENTICATED', 'X-Hub-Signature-256 does not match the body');
  }
  if (allowSha1 && headers.sha1 !== undefined) {
    if (check('sha1', headers.sha1)) return;
    throw new CollectorError('UNAUTHENTICATED', 'X-Hub-Signature does not match the body');
  }
  throw new CollectorError(
    'UNAUTHENTICATED',
    'missing X-Hub-Signature-256 header (set a secret on the webhook)',
  );
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The JSON payload of a delivery: the body itself, or the `payload` field of a form body; cleaned
 * (clean-text.ts), with `sanitized` true when characters were replaced.
 */
export function decodeGithubPayload(
  type: string,
  bytes: Buffer,
): { payload: Record<string, unknown>; sanitized: boolean } {
  let body: JsonBody;
  if (type === 'application/json') body = parseJsonBody(bytes);
  else if (type === 'application/x-www-form-urlencoded') {
    const payload = new URLSearchParams(bytes.toString('utf8')).get('payload');
    if (payload === null) throw new CollectorError('INVALID_BODY', 'form body without a payload field');
    body = parseJsonBody(Buffer.from(payload, 'utf8'));
  } else {
    throw new CollectorError('UNSUPPORTED_ENCODING', 'webhook content type must be application/json or form');
  }
  const parsed = body.value;
  if (!isRecord(parsed)) {
    throw new ShapeError('GitHub payloads are JSON objects', [{ path: [], message: 'expected an object' }]);
  }
  if (exceedsDepth(parsed)) {
    throw new ShapeError('payload nests too deeply', [
      { path: [], message: `deeper than ${MAX_EVENT_DEPTH} levels` },
    ]);
  }
  return { payload: parsed, sanitized: body.report.replaced > 0 };
}

class GithubApi {
  /** Strings of API answers in which characters were replaced (clean-text.ts). */
  replaced = 0;

  constructor(
    private readonly base: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
    private readonly doFetch: OutboundPolicy['fetch'],
  ) {}

  async get(path: string): Promise<unknown> {
    const headers: Record<string, string> = {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'peregrine-collector',
    };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await this.doFetch(`${this.base}${path}`, {
      headers,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok)
      throw Object.assign(new Error(`GitHub API ${path}: HTTP ${res.status}`), { status: res.status });
    // File names (and what is scanned) end up in the stored event: cleaned like the payload.
    const { value, report } = parseCleanJson(await res.text());
    this.replaced += report.replaced;
    return value;
  }
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

/** Most commits read one by one for a push that created a branch (GitHub lists up to 20). */
const MAX_COMMITS_SCANNED = 20;

/**
 * `files` for a push: every file of the diff, with its secret matches (Falco's shape). An update
 * is the compare `before...after`. A push that creates a branch has no `before` (Falco's plugin
 * scans nothing then, so secrets pushed on a new branch went unseen): its commits are read one by
 * one instead. A branch deletion has nothing to scan.
 */
export async function pushSecrets(
  api: GithubApi,
  payload: Record<string, unknown>,
): Promise<FileSecrets[] | undefined> {
  const { before, after, compare, repository, commits } = payload;
  if (typeof before !== 'string' || typeof after !== 'string' || after === ZERO_SHA) return undefined;
  const fullName = isRecord(repository) ? repository.full_name : undefined;
  if (typeof fullName !== 'string') return undefined;
  const repo = `/repos/${encodePath(fullName)}`;
  const scan = (diff: unknown) => {
    const files = isRecord(diff) && Array.isArray(diff.files) ? diff.files : [];
    return files
      .filter(isRecord)
      .map((f) => scanPatch(String(f.filename ?? ''), typeof f.patch === 'string' ? f.patch : undefined));
  };
  if (before === ZERO_SHA) {
    const ids = (Array.isArray(commits) ? commits : [])
      .map((c) => (isRecord(c) && typeof c.id === 'string' ? c.id : undefined))
      .filter((id): id is string => id !== undefined)
      .slice(-MAX_COMMITS_SCANNED);
    // In parallel: GitHub waits 10 s for the answer and each call may take up to the deadline.
    const diffs = await Promise.all(ids.map((id) => api.get(`${repo}/commits/${encodeURIComponent(id)}`)));
    return diffs.flatMap(scan);
  }
  // The compare URL ends in `<sha1>...<sha2>` (or a ref name); fall back to before...after.
  const refs =
    typeof compare === 'string' && compare.includes('...')
      ? compare.slice(compare.lastIndexOf('/') + 1)
      : `${before}...${after}`;
  return scan(await api.get(`${repo}/compare/${encodeURIComponent(refs)}`));
}

/** `workflow_miner_detections` for a workflow_run: the workflow file at the run's head commit. */
export async function workflowMiners(
  api: GithubApi,
  payload: Record<string, unknown>,
): Promise<MinerDetections | undefined> {
  const { workflow, workflow_run: run, repository } = payload;
  const path = isRecord(workflow) ? workflow.path : undefined;
  const fullName = isRecord(repository) ? repository.full_name : undefined;
  if (typeof path !== 'string' || typeof fullName !== 'string') return undefined;
  const ref =
    isRecord(run) && typeof run.head_sha === 'string' ? `?ref=${encodeURIComponent(run.head_sha)}` : '';
  const file = await api.get(`/repos/${encodePath(fullName)}/contents/${encodePath(path)}${ref}`);
  if (!isRecord(file) || typeof file.content !== 'string')
    throw new Error(`GitHub API: ${path} has no content`);
  return scanWorkflow(path, Buffer.from(file.content, 'base64').toString('utf8'));
}

/** A delivery's payload as stored and evaluated: the event type (X-GitHub-Event) added as `webhook_type`. */
export function githubStoredPayload(
  payload: Record<string, unknown>,
  eventType: string,
): Record<string, unknown> {
  return { ...payload, webhook_type: eventType };
}

/** One delivery as the engine's github event; its delivery id (X-GitHub-Delivery) is the ingest key. */
export function githubEvent(
  stored: Record<string, unknown>,
  delivery: string,
  receivedAt: number,
): IngestEvent {
  return {
    source: GITHUB_SOURCE,
    event: pluginEvent(stored, msToNs(receivedAt)),
    ingestKey: delivery,
    eventTime: new Date(receivedAt),
  };
}

/** Registers `POST /ingest/github/:sourceId` in its own encapsulated scope. */
export async function registerGithubRoutes(
  app: FastifyInstance,
  deps: CloudIngestDeps,
  options: GithubOptions = {},
): Promise<void> {
  const bodyLimit = options.bodyLimit ?? 25 * 1024 * 1024;
  const timeoutMs = options.apiTimeoutMs ?? 5_000;
  // apiBaseUrl is the tenant's choice: every call goes through the outbound policy, which
  // refuses the collector's loopback, private and metadata addresses (after DNS, per connection).
  const doFetch = deps.reach.outbound.fetch;
  const limits = options.unverifiedBytes ?? { total: 64 * 1024 * 1024, perPeer: 32 * 1024 * 1024 };
  const budget = new BodyBudget(limits.total, Math.max(limits.perPeer, 1));
  const verifying = new WeakMap<FastifyRequest, { source: ResolvedSource; secret: string }>();
  await app.register(async (scope) => {
    setupIngestScope(scope, { source: GITHUB_SOURCE, bodyLimit, metrics: deps.metrics });
    // Everything that can be checked without the body is checked before a byte of it is read:
    // the source (exists, enabled, a github source with a secret) and a signature header.
    scope.addHook('onRequest', async (req: FastifyRequest<{ Params: { sourceId?: string } }>) => {
      if (req.method !== 'POST') return;
      const source = await sourceFromPath(deps.sources, 'github', req.params.sourceId ?? '');
      const secret = source.secrets.webhookSecret;
      if (!secret) {
        const why = source.secretsError ?? 'the source has no webhook secret';
        await noteActivity(deps, source, { error: why });
        throw new CollectorError('UNAUTHENTICATED', `cannot verify deliveries: ${why}`);
      }
      const signed =
        header(req, 'x-hub-signature-256') !== undefined ||
        (configOf(source).allowSha1Signature && header(req, 'x-hub-signature') !== undefined);
      if (!signed) {
        throw new CollectorError(
          'UNAUTHENTICATED',
          'missing X-Hub-Signature-256 header (set a secret on the webhook)',
        );
      }
      verifying.set(req, { source, secret });
    });
    // Then the body, whose signature can only be checked once read, is read within a budget.
    boundUnverifiedBodies(scope, budget, { bodyLimit, metrics: deps.metrics, source: GITHUB_SOURCE });
    scope.post('/ingest/github/:sourceId', async (req: FastifyRequest<{ Params: { sourceId: string } }>) => {
      const checked = verifying.get(req);
      if (!checked) throw new CollectorError('UNAUTHENTICATED', 'request was not authenticated');
      const { source, secret } = checked;
      const config = configOf(source);
      // GitHub signs the bytes it sent; no content-encoding is involved.
      const bytes = requestBytes(req);
      verifyGithubSignature(
        bytes,
        secret,
        { sha256: header(req, 'x-hub-signature-256'), sha1: header(req, 'x-hub-signature') },
        config.allowSha1Signature,
      );
      const eventType = header(req, 'x-github-event');
      const delivery = header(req, 'x-github-delivery');
      if (!eventType || !delivery) {
        throw new CollectorError('INVALID_BODY', 'X-GitHub-Event and X-GitHub-Delivery headers are required');
      }
      const { payload, sanitized } = decodeGithubPayload(mediaType(req), bytes);
      const receivedAt = Date.now();
      const stored = githubStoredPayload(payload, eventType);

      const api = new GithubApi(config.apiBaseUrl, source.secrets.apiToken, timeoutMs, doFetch);
      try {
        if (eventType === 'push' && config.scanDiffs) {
          const files = await pushSecrets(api, payload);
          if (files) stored.files = files;
        } else if (eventType === 'workflow_run' && config.scanWorkflows) {
          const miners = await workflowMiners(api, payload);
          if (miners) stored.workflow_miner_detections = miners;
        }
      } catch (err) {
        deps.metrics.drops.inc({ reason: 'github_enrichment_failed' });
        // Not the message: it names the repository and paths of the delivery (tenant content).
        const e = err as Error & { status?: number; code?: string };
        req.log.warn(
          { source: source.id, delivery, eventType, error: e.name, code: e.code, status: e.status },
          'GitHub enrichment failed; storing the event without it',
        );
        await noteActivity(deps, source, {
          error: `enrichment of ${eventType} ${delivery}: ${(err as Error).message}`,
        });
      }

      const result = await submitCloudEvents(
        deps,
        source,
        GITHUB_SOURCE,
        [githubEvent(stored, delivery, receivedAt)],
        { push: true },
      );
      const changed = sanitized || api.replaced > 0 ? 1 : 0;
      countSanitized(deps, GITHUB_SOURCE, changed);
      return pushAnswer(result, undefined, changed);
    });
  });
}

/** The module entry for src/ingest/modules.ts. */
export function githubIngest(options: GithubOptions = {}): IngestModule {
  return {
    name: 'github',
    register: (app, ctx) => {
      const total = ctx.env.COLLECTOR_UNVERIFIED_BODY_MB * 1024 * 1024;
      return registerGithubRoutes(app, dbIngestDeps(ctx), {
        unverifiedBytes: { total, perPeer: Math.floor(total / 2) },
        ...options,
      });
    },
  };
}
