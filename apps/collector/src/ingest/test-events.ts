import { randomUUID } from 'node:crypto';
import { getSensorIdentity } from '@peregrine/db';
import {
  type SourceTestClaims,
  type SourceTestEventResult,
  SourceTestTokenError,
  type TestEventTarget,
  verifySourceTestToken,
} from '@peregrine/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CollectorError } from '../http/errors.js';
import type { RulesCache } from '../pipeline/rules-cache.js';
import { BackpressureError, type IngestEvent, type SubmitResult } from '../pipeline/types.js';
import { CLOUDTRAIL_SOURCE, decodeLogFile } from './cloudtrail-records.js';
import { decodeFalcoBody } from './falco.js';
import { decodeGithubPayload, GITHUB_SOURCE, githubEvent, githubStoredPayload } from './github.js';
import { decodeAuditBody, K8S_AUDIT_SOURCE } from './k8s-audit.js';
import { decodeOktaPage, OKTA_SOURCE } from './okta.js';
import type { IngestModule } from './register.js';
import { sensorIngestEvents } from './sensor.js';
import { decodeSensorBatch } from './sensor-batch.js';
import { parseJsonBody } from './shared/http.js';
import { isRecord } from './shared/plugin-event.js';
import type { ResolvedSource } from './shared/source-store.js';
import { type CloudIngestDeps, submitCloudEvents, submitExternalAlerts } from './shared/submit.js';
import { dbIngestDeps } from './shared/wiring.js';
import { sensorTestEventSample, type TestEventSample, testEventSample } from './test-event-samples.js';

/**
 * A source's test event, asked for from the console ("Send test event", like falcosidekick's test
 * event): `POST /v1/sources/:sourceId/test-event` with `Authorization: Bearer <source test token>`,
 * and likewise `POST /v1/sensors/:sensorId/test-event` for a sensor (its environment's syscall
 * rules: the event is made by the collector, the sensor's capture on the host is not involved).
 *
 * The console cannot present the source's own credential (stored hashed or encrypted), so it signs
 * a token for this one source with the secret both share (PEREGRINE_SECRET_KEY,
 * packages/protocol/src/source-test-token.ts): a minute long, and spent here by its first use.
 * The collector then builds its kind's sample (test-event-samples.ts) and sends it through that
 * kind's own decoding and the pipeline real events take: the environment's active rules, the
 * store and the live push. Alerts of a test event carry the tag `peregrine_test_event`; its raw
 * event is not kept for backtesting (a backtest would otherwise report it as a hit).
 *
 * The answer says what happened: the alerts stored (ids for the console's links), or why there
 * are none (no active rules, the expected rule not active, an override that excludes the event),
 * or that the event waits in the spool (database unavailable) or on the work queue (scaled out).
 */

export const TEST_EVENT_SOURCE = 'test_event';

/** No body is read: the token says everything, so nobody unauthenticated can make us buffer one. */
const ROUTE_OPTIONS = { config: { source: TEST_EVENT_SOURCE }, bodyLimit: 1024 };

/** A sensor as its test event needs it. */
export interface TestEventSensor {
  sensorId: string;
  organizationId: string;
  environmentId: string;
  name: string;
  hostname: string | null;
  revoked: boolean;
}

export interface TestEventDeps extends CloudIngestDeps {
  rules: Pick<RulesCache, 'get'>;
  /** A sensor by id (revoked or not), or null. */
  sensor(sensorId: string): Promise<TestEventSensor | null>;
  /** PEREGRINE_SECRET_KEY; without it every test token is refused. */
  secret: string | undefined;
  now?: () => number;
}

/** Nonces of tokens already used, until they expire (tokens live a minute). */
class SpentTokens {
  private readonly spent = new Map<string, number>();

  /** False when `nonce` was spent before; otherwise remembers it until `exp` (epoch seconds). */
  spend(nonce: string, exp: number, nowSeconds: number): boolean {
    if (this.spent.size > 1000) {
      for (const [n, e] of this.spent) if (e <= nowSeconds) this.spent.delete(n);
    }
    if (this.spent.has(nonce)) return false;
    this.spent.set(nonce, exp);
    return true;
  }
}

function bearer(req: FastifyRequest): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

const asTest = (events: IngestEvent[]): IngestEvent[] => events.map((e) => ({ ...e, test: true }));

/** A sample our own decoder refused is a bug here, not the caller's mistake. */
function decodedAll(kind: string, rejected: number, events: number): void {
  if (rejected > 0 || events === 0)
    throw new CollectorError('INTERNAL', `the ${kind} test event did not decode (${rejected} refused)`);
}

/** Sends the sample through its kind's decoding and submission, as the kind's ingest does. */
async function submitSample(
  deps: CloudIngestDeps,
  source: ResolvedSource,
  sample: TestEventSample,
  id: string,
  now: number,
): Promise<{ result: SubmitResult; engineSource: string }> {
  // Push senders spool through a database outage; the test event is pushed like them.
  const push = { push: true, storeRaw: false };
  switch (source.kind) {
    case 'k8s_audit': {
      const body = parseJsonBody(sample.bytes);
      const decoded = decodeAuditBody(body.value, undefined, body.report);
      decodedAll(source.kind, decoded.rejected, decoded.events.length);
      const result = await submitCloudEvents(deps, source, K8S_AUDIT_SOURCE, asTest(decoded.events), push);
      return { result, engineSource: K8S_AUDIT_SOURCE };
    }
    case 'okta': {
      const body = parseJsonBody(sample.bytes);
      const events = isRecord(body.value) && isRecord(body.value.data) ? body.value.data.events : undefined;
      const decoded = decodeOktaPage(events, body.report);
      decodedAll(source.kind, decoded.rejected, decoded.events.length);
      const result = await submitCloudEvents(deps, source, OKTA_SOURCE, asTest(decoded.events), push);
      return { result, engineSource: OKTA_SOURCE };
    }
    case 'aws_cloudtrail': {
      const decoded = decodeLogFile(`${TEST_EVENT_SOURCE}-${id}.json`, sample.bytes);
      decodedAll(source.kind, decoded.rejected, decoded.events.length);
      const result = await submitCloudEvents(deps, source, CLOUDTRAIL_SOURCE, asTest(decoded.events), push);
      return { result, engineSource: CLOUDTRAIL_SOURCE };
    }
    case 'github': {
      const { payload } = decodeGithubPayload('application/json', sample.bytes);
      const event = githubEvent(githubStoredPayload(payload, sample.eventType ?? 'ping'), id, now);
      const result = await submitCloudEvents(deps, source, GITHUB_SOURCE, asTest([event]), push);
      return { result, engineSource: GITHUB_SOURCE };
    }
    case 'falco': {
      // Falco's integers (evt.time in nanoseconds) read exactly, as the Falco route reads them.
      const body = parseJsonBody(sample.bytes, { exactIntegers: true });
      const decoded = decodeFalcoBody(body.value, body.report);
      decodedAll(source.kind, decoded.rejected, decoded.alerts.length);
      const result = await submitExternalAlerts(deps, source, decoded.alerts);
      return { result, engineSource: 'syscall' };
    }
    default:
      throw new CollectorError('UNSUPPORTED_SOURCE', `${source.kind} sources have no test event`);
  }
}

/** Why a test event stored no alert, from the environment's compiled rules. */
async function whyNoAlert(
  deps: TestEventDeps,
  source: Pick<ResolvedSource, 'environmentId'> & { kind: string },
  engineSource: string,
  rule: string,
): Promise<string> {
  if (source.kind === 'falco') return 'The collector stored no alert: the test alert was refused.';
  const compiled = await deps.rules.get(source.environmentId);
  if (compiled.ruleCount === 0) {
    return `The event was accepted, but no rules are active in this environment: activate a rule set (Peregrine's defaults include "${rule}").`;
  }
  if (!compiled.activeRules.get(engineSource)?.has(rule)) {
    return `The event was accepted, but the rule "${rule}" is not active in this environment (its rule set is not active, or the rule is disabled), and no other ${engineSource} rule matched it.`;
  }
  return `The event was accepted and "${rule}" is active, but it did not match: an exception, or a list or macro override of this environment, excludes the test event.`;
}

/** What a test event stored, as the console reads it. */
function answerOf(
  target: { id: string; kind: string },
  sample: TestEventSample,
  result: SubmitResult,
  reason: string | null,
): SourceTestEventResult {
  return {
    sourceId: target.id,
    kind: target.kind,
    description: sample.description,
    expectedRule: sample.expectedRule,
    accepted: result.accepted,
    duplicates: result.duplicates,
    rejected: result.rejected?.length ?? 0,
    alerts: result.storedAlerts ?? [],
    spooled: result.spooled === true,
    queued: result.queued === true,
    reason,
  };
}

/** True when nothing was stored and nothing is coming: the answer then says why. */
const nothingFired = (result: SubmitResult) =>
  (result.storedAlerts ?? []).length === 0 && result.spooled !== true && result.queued !== true;

/**
 * Registers `POST /v1/sources/:sourceId/test-event` (cloud sources) and
 * `POST /v1/sensors/:sensorId/test-event` (a sensor's environment, as if the sensor had sent it).
 */
export async function registerTestEventRoutes(app: FastifyInstance, deps: TestEventDeps): Promise<void> {
  const spent = new SpentTokens();
  const now = deps.now ?? Date.now;

  /** The token's claims, once it is proven to be the console's, unspent and for `target` `id`. */
  const authorize = async (req: FastifyRequest, target: TestEventTarget, id: string, nowMs: number) => {
    if (!deps.secret) {
      throw new CollectorError(
        'UNAVAILABLE',
        "PEREGRINE_SECRET_KEY is not set on the collector: it cannot check the console's test-event tokens",
      );
    }
    const token = bearer(req);
    if (!token)
      throw new CollectorError('UNAUTHENTICATED', 'missing test-event token (Authorization: Bearer)');
    let claims: SourceTestClaims;
    try {
      claims = await verifySourceTestToken(token, deps.secret, nowMs / 1000);
    } catch (err) {
      if (err instanceof SourceTestTokenError)
        throw new CollectorError('UNAUTHENTICATED', `test-event token refused: ${err.message}`);
      throw err;
    }
    if (claims.target !== target || claims.sourceId !== id)
      throw new CollectorError('FORBIDDEN', `this test-event token is for another ${target}`);
    if (!spent.spend(claims.nonce, claims.exp, nowMs / 1000))
      throw new CollectorError('UNAUTHENTICATED', 'this test-event token was used already');
    return claims;
  };

  app.post(
    '/v1/sources/:sourceId/test-event',
    ROUTE_OPTIONS,
    async (req: FastifyRequest<{ Params: { sourceId: string } }>): Promise<SourceTestEventResult> => {
      const nowMs = now();
      const { sourceId } = req.params;
      const claims = await authorize(req, 'source', sourceId, nowMs);
      const source = await deps.sources.byId(sourceId);
      if (!source || source.organizationId !== claims.organizationId)
        throw new CollectorError('UNKNOWN_SOURCE', `no source ${JSON.stringify(sourceId)}`);
      if (!source.enabled)
        throw new CollectorError(
          'FORBIDDEN',
          `source "${source.name}" is disabled: enable it to send events`,
        );
      const id = randomUUID();
      const sample = testEventSample(source.kind, { id, now: nowMs, sourceName: source.name });
      if (!sample)
        throw new CollectorError('UNSUPPORTED_SOURCE', `${source.kind} sources have no test event`);
      const { result, engineSource } = await submitSample(deps, source, sample, id, nowMs);
      const reason = nothingFired(result)
        ? await whyNoAlert(deps, source, engineSource, sample.expectedRule)
        : null;
      req.log.info(
        { sourceId, kind: source.kind, subject: claims.subject, alerts: result.storedAlerts?.length ?? 0 },
        'test event sent',
      );
      return answerOf({ id: sourceId, kind: source.kind }, sample, result, reason);
    },
  );

  app.post(
    '/v1/sensors/:sensorId/test-event',
    ROUTE_OPTIONS,
    async (req: FastifyRequest<{ Params: { sensorId: string } }>): Promise<SourceTestEventResult> => {
      const nowMs = now();
      const { sensorId } = req.params;
      const claims = await authorize(req, 'sensor', sensorId, nowMs);
      const sensor = await deps.sensor(sensorId);
      if (!sensor || sensor.organizationId !== claims.organizationId)
        throw new CollectorError('UNKNOWN_SOURCE', `no sensor ${JSON.stringify(sensorId)}`);
      if (sensor.revoked)
        throw new CollectorError('FORBIDDEN', `sensor "${sensor.name}" is revoked: its events are refused`);
      const sample = sensorTestEventSample({
        id: randomUUID(),
        now: nowMs,
        sensorName: sensor.name,
        hostname: sensor.hostname ?? sensor.name,
      });
      // The sensor stream's own decoding and keys, then the pipeline with the sensor as origin.
      const batch = decodeSensorBatch(JSON.parse(sample.bytes.toString('utf8')));
      decodedAll('sensor', batch.rejected.length, batch.events.length);
      const { events } = sensorIngestEvents(sensor.sensorId, batch);
      deps.metrics.eventsIn.inc({ source: 'syscall' }, events.length);
      const result = await deps.pipeline
        .submitEvents(
          {
            organizationId: sensor.organizationId,
            environmentId: sensor.environmentId,
            sensorId: sensor.sensorId,
          },
          asTest(events),
          { batchId: batch.batchId, receivedAt: nowMs },
        )
        .catch((err: unknown) => {
          if (err instanceof BackpressureError)
            throw new CollectorError('BUSY', err.message, err.retryAfterSeconds);
          throw err;
        });
      const fake = { environmentId: sensor.environmentId, kind: 'syscall' } as const;
      const reason = nothingFired(result)
        ? await whyNoAlert(deps, fake, 'syscall', sample.expectedRule)
        : null;
      req.log.info(
        { sensorId, subject: claims.subject, alerts: result.storedAlerts?.length ?? 0 },
        'sensor test event sent',
      );
      return answerOf({ id: sensorId, kind: 'syscall' }, sample, result, reason);
    },
  );
}

/** The module entry for src/ingest/modules.ts (before Falco's catch-all, like every route). */
export function testEventIngest(): IngestModule {
  return {
    name: 'test-events',
    register: (app, ctx) =>
      registerTestEventRoutes(app, {
        ...dbIngestDeps(ctx),
        rules: ctx.rules,
        secret: ctx.env.PEREGRINE_SECRET_KEY,
        sensor: (sensorId) => getSensorIdentity(ctx.db, sensorId),
      }),
  };
}
