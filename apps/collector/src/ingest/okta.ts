import { SourceLeases } from '@peregrine/db';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CollectorError } from '../http/errors.js';
import { deadline, type OutboundPolicy } from '@peregrine/outbound';
import type { IngestEvent } from '../pipeline/types.js';
import type { IngestContext, IngestModule } from './register.js';
import { authenticatePush } from './shared/auth.js';
import { ShapeError } from '../http/errors.js';
import { CLEAN, type CleanReport, parseCleanJson } from './shared/clean-text.js';
import { mediaType, parseJsonBody, requestBytes, setupIngestScope } from './shared/http.js';
import { exceedsDepth, isRecord, nsToDate, pluginEvent, rfc3339ToNs } from './shared/plugin-event.js';
import {
  type Clock,
  CursorKeeper,
  PollSupervisor,
  type SourcePoller,
  systemClock,
} from './shared/poll-loop.js';
import type { ResolvedSource } from './shared/source-store.js';
import {
  type CloudIngestDeps,
  countSanitized,
  noteDecodeRefusals,
  pushAnswer,
  submitCloudEvents,
} from './shared/submit.js';
import { dbIngestDeps } from './shared/wiring.js';

/**
 * Okta System Log polling (`GET {baseUrl}/api/v1/logs`).
 *
 * Unlike Falco's okta plugin (which re-queries by `since` and skips events sharing the last
 * second), this poller follows Okta's polling protocol: the first request sets `since` and
 * `sortOrder=ASCENDING`, every later one is the `Link: <…>; rel="next"` URL of the previous
 * answer (an opaque `after` cursor; Okta's docs say it can be polled indefinitely). That URL is
 * saved as the source's cursor only after the page's events are durably submitted, so a restart
 * resumes exactly there: nothing is skipped, and a page handled twice (crash between submit and
 * save) is recognised by the pipeline from the events' `uuid`.
 *
 * Rate limits: a 429 waits until `X-Rate-Limit-Reset` (epoch seconds); when
 * `X-Rate-Limit-Remaining` falls to `rateLimitReserve` the poller pauses until the reset rather
 * than spend the org's last calls (the same limit bucket serves the org's admins and other apps).
 * Other failures back off exponentially (PollSupervisor) and are recorded on the source.
 *
 * Configuration (`cloud_sources.config`): `baseUrl` (`https://acme.okta.com`, any host: preview
 * and custom domains work) or `organization` (→ `https://<organization>.okta.com`),
 * `pollIntervalSeconds` (10), `limit` (per page, 1–1000, default 1000), `initialLookbackSeconds`
 * (where a new source starts, default 30 as in Falco), `rateLimitReserve` (default 1).
 * Secrets: `apiToken` (sent as `Authorization: SSWS <token>`).
 */

export const OKTA_SOURCE = 'okta';

const OktaConfigSchema = z
  .object({
    baseUrl: z.url().optional(),
    organization: z
      .string()
      .regex(/^[a-z0-9-]+$/i)
      .optional(),
    pollIntervalSeconds: z.number().positive().max(3600).default(10),
    limit: z.number().int().min(1).max(1000).default(1000),
    initialLookbackSeconds: z.number().int().min(0).default(30),
    rateLimitReserve: z.number().int().min(0).default(1),
    /** false: event hooks only (no API token needed). */
    polling: z.boolean().default(true),
  })
  .refine(
    (c) => !c.polling || c.baseUrl !== undefined || c.organization !== undefined,
    'set baseUrl or organization',
  );

export type OktaConfig = z.infer<typeof OktaConfigSchema>;

/** Okta LogEvent: the keys we need to identify and time it; everything else is kept as sent. */
const LogEventSchema = z.looseObject({
  uuid: z.string().min(1),
  published: z.string().refine((s) => rfc3339ToNs(s) !== undefined, 'must be an RFC 3339 timestamp'),
  eventType: z.string().min(1),
});

interface OktaCursor {
  /** The next URL to request (Okta's rel="next" link, carrying the `after` cursor). */
  next: string;
}

export class OktaApiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'OktaApiError';
  }
}

/** The `rel="next"` URL of an RFC 8288 Link header, if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (m && /(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/i.test(m[2] as string)) return m[1];
  }
  return undefined;
}

/**
 * Okta's `errorCode: errorSummary` of an error answer, or nothing: the raw body is never quoted in
 * the source's error (tenants read it) nor in the log.
 */
async function oktaErrorSummary(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && typeof body.errorSummary === 'string') {
      const code = typeof body.errorCode === 'string' ? `${body.errorCode}: ` : '';
      return `(${code}${body.errorSummary.slice(0, 200)})`;
    }
  } catch {
    // not Okta's JSON error
  }
  return '';
}

export interface OktaPollerDeps extends CloudIngestDeps {
  clock?: Clock;
  log?: { warn(obj: object, msg: string): void };
}

/**
 * Decodes one page; bad events are counted and skipped, the rest kept. `report` is the cleaning
 * report of the parsed page (counts the events it changed, as `sanitized`).
 */
export function decodeOktaPage(
  body: unknown,
  report: CleanReport = CLEAN,
): { events: IngestEvent[]; rejected: number; firstRejection?: string; sanitized: number } {
  if (!Array.isArray(body)) throw new OktaApiError('System Log answer is not a JSON array');
  const events: IngestEvent[] = [];
  let rejected = 0;
  let firstRejection: string | undefined;
  let sanitized = 0;
  for (let i = 0; i < body.length; i++) {
    const item: unknown = body[i];
    const parsed = LogEventSchema.safeParse(item);
    if (!parsed.success || !isRecord(item) || exceedsDepth(item)) {
      rejected++;
      firstRejection ??= `event ${i + 1}: ${parsed.success ? 'nested too deeply' : issueText(parsed.error.issues[0])}`;
      continue;
    }
    const ts = rfc3339ToNs(parsed.data.published) as string;
    events.push({
      source: OKTA_SOURCE,
      event: pluginEvent(item, ts),
      ingestKey: parsed.data.uuid,
      eventTime: nsToDate(ts),
    });
    if (report.touched(item)) sanitized++;
  }
  return firstRejection === undefined
    ? { events, rejected, sanitized }
    : { events, rejected, firstRejection, sanitized };
}

/** A schema issue as `path: message` (zod's messages name what was expected, never the input). */
function issueText(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'not a System Log event';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/** The poller of one Okta source. */
export class OktaPoller implements SourcePoller {
  private readonly config: OktaConfig;
  private readonly base: URL;
  private readonly token: string;
  private readonly cursor: CursorKeeper<OktaCursor>;
  private readonly clock: Clock;
  private readonly doFetch: OutboundPolicy['fetch'];
  /** Epoch ms before which no request may be sent (rate-limit pause). */
  private notBefore = 0;

  constructor(
    private readonly source: ResolvedSource,
    private readonly deps: OktaPollerDeps,
  ) {
    const parsed = OktaConfigSchema.safeParse(source.config);
    if (!parsed.success) {
      throw new OktaApiError(
        `invalid Okta configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      );
    }
    this.config = parsed.data;
    // The tenant's choice of host: checked now for a clear error, and at every connection (after
    // DNS) by the outbound policy, so the API token never reaches the collector's own network.
    this.base = deps.reach.outbound.checkUrl(
      this.config.baseUrl ?? `https://${this.config.organization}.okta.com`,
    );
    const token = source.secrets.apiToken;
    if (!token) throw new OktaApiError(source.secretsError ?? 'the source has no apiToken secret');
    this.token = token;
    this.clock = deps.clock ?? systemClock;
    this.doFetch = deps.reach.outbound.fetch;
    const saved =
      isRecord(source.cursor) && typeof source.cursor.next === 'string' ? { next: source.cursor.next } : null;
    this.cursor = new CursorKeeper(deps.sources, source.id, saved, source.cursorUpdatedAt);
  }

  private firstUrl(): string {
    return this.sinceUrl(
      new Date(this.clock.now() - this.config.initialLookbackSeconds * 1000).toISOString(),
    );
  }

  private sinceUrl(since: string): string {
    const url = new URL('/api/v1/logs', this.base);
    url.searchParams.set('since', since);
    url.searchParams.set('sortOrder', 'ASCENDING');
    url.searchParams.set('limit', String(this.config.limit));
    return url.toString();
  }

  /** Only follow links to the configured Okta origin: the API token must never go elsewhere. */
  private trusted(link: string): string {
    const url = new URL(link, this.base);
    if (url.origin !== this.base.origin)
      throw new OktaApiError(`refusing a next link to another origin: ${url.origin}`);
    return url.toString();
  }

  private resetAt(res: Response): number | undefined {
    const reset = Number(res.headers.get('x-rate-limit-reset'));
    return Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined;
  }

  async poll(signal: AbortSignal): Promise<{ delayMs: number }> {
    const interval = this.config.pollIntervalSeconds * 1000;
    // Bounded pages per call, so a long backlog still lets stop() and refresh() in.
    for (let page = 0; page < 100 && !signal.aborted; page++) {
      const wait = this.notBefore - this.clock.now();
      if (wait > 0) return { delayMs: wait };
      const url = this.cursor.cursor?.next ?? this.firstUrl();
      // The page, answer body included, within 30 s (deadline.ts says why not AbortSignal.any).
      const limit = deadline(30_000, signal);
      let parsed: ReturnType<typeof parseCleanJson>;
      let now: number;
      let res: Response;
      try {
        res = await this.doFetch(url, {
          headers: {
            authorization: `SSWS ${this.token}`,
            accept: 'application/json',
            'user-agent': 'peregrine-collector',
          },
          signal: limit.signal,
        });
        now = this.clock.now();
        if (res.status === 429) {
          await res.body?.cancel();
          // Okta says when the window resets; without the header wait one interval.
          this.notBefore = (this.resetAt(res) ?? now + interval) + 1000;
          this.deps.metrics.rejects.inc({ source: OKTA_SOURCE, reason: 'rate_limited' });
          return { delayMs: this.notBefore - now };
        }
        if (!res.ok) {
          throw new OktaApiError(
            `Okta System Log: HTTP ${res.status} ${await oktaErrorSummary(res)}`.trim(),
            res.status,
          );
        }
        try {
          // Text, not res.json(): the page is cleaned (clean-text.ts) before anything reads it.
          parsed = parseCleanJson(await res.text());
        } catch {
          throw new OktaApiError('Okta System Log: answer is not JSON');
        }
      } finally {
        limit.done();
      }
      const body = parsed.value;
      const decoded = decodeOktaPage(body, parsed.report);
      const { events, sanitized } = decoded;
      await noteDecodeRefusals(this.deps, this.source, OKTA_SOURCE, decoded, 'Okta System Log page');
      if (sanitized > 0)
        this.deps.log?.warn(
          { source: this.source.id, sanitized },
          'Okta events held NUL or unpaired surrogate characters; stored with U+FFFD',
        );
      const last = events.at(-1);
      // Okta always links the next page; should a proxy drop the header, resume by `since`
      // from the last event (the overlap is recognised by uuid).
      const next =
        nextLink(res.headers.get('link')) ??
        (last
          ? this.sinceUrl((last.event as { payload: { published: string } }).payload.published)
          : undefined);
      await submitCloudEvents(this.deps, this.source, OKTA_SOURCE, events);
      countSanitized(this.deps, OKTA_SOURCE, sanitized);
      // Durable: only now may the position move past this page.
      // An empty page links to the same position again: nothing to write.
      if (next && next !== this.cursor.cursor?.next) {
        const saved = await this.cursor.save({ next: this.trusted(next) });
        if (!saved)
          this.deps.log?.warn(
            { source: this.source.id },
            'Okta cursor moved by another poller; continuing from it',
          );
      }
      const remaining = Number(res.headers.get('x-rate-limit-remaining'));
      if (res.headers.has('x-rate-limit-remaining') && remaining <= this.config.rateLimitReserve) {
        this.notBefore = (this.resetAt(res) ?? now + interval) + 1000;
      }
      // An empty or partial page means we are caught up; a full one means more is waiting.
      const length = Array.isArray(body) ? body.length : 0;
      if (!next || length < this.config.limit) return { delayMs: Math.max(interval, this.notBefore - now) };
    }
    return { delayMs: 0 };
  }
}

/**
 * Okta event hooks (push, near real time), for orgs that prefer them or alongside polling (an
 * event delivered both ways is recognised by its uuid):
 * - `GET /ingest/okta/<sourceId>` answers Okta's one-time verification
 *   (`X-Okta-Verification-Challenge` → `{ "verification": … }`);
 * - `POST /ingest/okta/<sourceId>` takes deliveries (`{ data: { events: [LogEvent…] } }`).
 * Both are authenticated by the source's ingest token, configured in Okta as the hook's
 * `Authorization` header with value `Bearer <token>`. Okta waits 3 s for an answer.
 */
export async function registerOktaHookRoutes(
  app: FastifyInstance,
  deps: CloudIngestDeps,
  options: { bodyLimit?: number } = {},
): Promise<void> {
  const bodyLimit = options.bodyLimit ?? 4 * 1024 * 1024;
  const authenticated = new WeakMap<FastifyRequest, ResolvedSource>();
  await app.register(async (scope) => {
    setupIngestScope(scope, { source: OKTA_SOURCE, bodyLimit, metrics: deps.metrics });
    // Authenticate before the body is read: an unknown sender cannot make us buffer 4 MiB.
    scope.addHook('onRequest', async (req: FastifyRequest<{ Params: { sourceId?: string } }>) => {
      authenticated.set(req, await authenticatePush(req, deps.sources, 'okta', req.params.sourceId ?? ''));
    });
    const sourceOf = (req: FastifyRequest): ResolvedSource => {
      const source = authenticated.get(req);
      if (!source) throw new CollectorError('UNAUTHENTICATED', 'request was not authenticated');
      return source;
    };
    scope.get('/ingest/okta/:sourceId', async (req: FastifyRequest<{ Params: { sourceId: string } }>) => {
      sourceOf(req);
      const challenge = req.headers['x-okta-verification-challenge'];
      if (typeof challenge !== 'string' || challenge === '') {
        throw new CollectorError('INVALID_BODY', 'missing X-Okta-Verification-Challenge header');
      }
      return { verification: challenge };
    });
    scope.post('/ingest/okta/:sourceId', async (req: FastifyRequest<{ Params: { sourceId: string } }>) => {
      const source = sourceOf(req);
      if (!mediaType(req).includes('json')) {
        throw new CollectorError('UNSUPPORTED_ENCODING', 'event hook deliveries must be application/json');
      }
      const { value: body, report } = parseJsonBody(requestBytes(req));
      const events = isRecord(body) && isRecord(body.data) ? body.data.events : undefined;
      if (!Array.isArray(events)) {
        throw new ShapeError('not an Okta event hook delivery', [
          { path: ['data', 'events'], message: 'expected an array of LogEvents' },
        ]);
      }
      const decoded = decodeOktaPage(events, report);
      if (decoded.rejected > 0) {
        // Okta shows nobody the answer: the refusal is kept on the source for the console too.
        await noteDecodeRefusals(deps, source, OKTA_SOURCE, decoded, 'Okta event hook delivery');
        if (decoded.events.length === 0) {
          throw new ShapeError('no valid LogEvent in the delivery', [
            { path: ['data', 'events'], message: 'each event needs uuid, published and eventType' },
          ]);
        }
      }
      const result = await submitCloudEvents(deps, source, OKTA_SOURCE, decoded.events, { push: true });
      countSanitized(deps, OKTA_SOURCE, decoded.sanitized);
      const issues = decoded.firstRejection
        ? [{ path: ['data', 'events'], message: decoded.firstRejection }]
        : [];
      return pushAnswer(result, { rejected: decoded.rejected, issues }, decoded.sanitized);
    });
  });
}

/**
 * The module entry for src/ingest/modules.ts: event hook routes, and one poller per enabled
 * Okta source with `polling` on.
 */
export function oktaIngest(options: { refreshMs?: number } = {}): IngestModule {
  // INGEST_MODULES is one list per process while tests run several collectors in it.
  const running = new Set<{ supervisor: PollSupervisor; leases: SourceLeases; unsubscribe: () => void }>();
  return {
    name: 'okta',
    register: (app, ctx) => registerOktaHookRoutes(app, dbIngestDeps(ctx)),
    start: async (ctx: IngestContext) => {
      const deps = dbIngestDeps(ctx);
      // One poller per source across all collectors sharing the database.
      const leases = new SourceLeases(ctx.env.DATABASE_URL);
      const supervisor = new PollSupervisor({
        leases,
        kind: 'okta',
        sources: deps.sources,
        log: ctx.log,
        accepts: (source) => source.config.polling !== false,
        create: (source) => new OktaPoller(source, { ...deps, log: ctx.log }),
        ...(options.refreshMs ? { refreshMs: options.refreshMs } : {}),
      });
      const unsubscribe = ctx.revocations.subscribe((event) => {
        if (event.kind === 'source' || event.kind === 'listening') supervisor.poke();
      });
      running.add({ supervisor, leases, unsubscribe });
      supervisor.start();
    },
    stop: async () => {
      const all = [...running];
      running.clear();
      await Promise.all(
        all.map(async ({ supervisor, leases, unsubscribe }) => {
          unsubscribe();
          await supervisor.stop();
          await leases.close();
        }),
      );
    },
  };
}
