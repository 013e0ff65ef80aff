import 'server-only';
import { randomBytes } from 'node:crypto';
import { recordTestEvent } from '@peregrine/db';
import {
  SOURCE_TEST_TOKEN_TTL_SECONDS,
  type SourceTestEventResult,
  SourceTestEventResultSchema,
  signSourceTestToken,
  sourceTestEventPath,
  type TestEventTarget,
} from '@peregrine/protocol';
import { serverEnv } from '@/env';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { appErrorFromCollector, collectorUnreachable, withDbErrors } from '../../errors/error-mapping';
import type { RequestActor } from '../../trpc';
import { auditActor } from '../audit/audit-actor';

/** How long the console waits for the collector (a test event is one event: it answers in ms). */
const COLLECTOR_TIMEOUT_MS = 15_000;

/**
 * Asks the collector for a test event of a cloud source or a sensor the caller's organisation
 * owns (the caller checks that first): the console signs a one-use token for that one target
 * (its own credential is stored hashed or encrypted, so it cannot be presented) and the collector
 * sends a marked sample through the real ingest path (apps/collector/src/ingest/test-events.ts).
 * Returns what the collector answered; recorded in the audit log either way.
 */
export async function requestTestEvent(input: {
  organizationId: string;
  target: TestEventTarget;
  id: string;
  actor: RequestActor;
  now?: Date;
}): Promise<SourceTestEventResult> {
  const env = serverEnv();
  if (!env.secretKey) {
    throw new AppError(
      'UNAVAILABLE',
      'Test events need PEREGRINE_SECRET_KEY, shared by the console and the collector.',
    );
  }
  const token = await signSourceTestToken(
    {
      target: input.target,
      sourceId: input.id,
      organizationId: input.organizationId,
      subject: input.actor.userId ?? `api_key:${input.actor.apiKeyId}`,
      nonce: randomBytes(16).toString('hex'),
      exp: Math.floor((input.now ?? new Date()).getTime() / 1000) + SOURCE_TEST_TOKEN_TTL_SECONDS,
    },
    env.secretKey,
  );
  const audit = (outcome: Record<string, unknown>) =>
    withDbErrors(() =>
      recordTestEvent(
        db(),
        { organizationId: input.organizationId, target: input.target, targetId: input.id, outcome },
        auditActor(input.actor),
      ),
    );
  let res: Response;
  try {
    res = await fetch(`${env.collectorUrl}${sourceTestEventPath(input.id, input.target)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(COLLECTOR_TIMEOUT_MS),
    });
  } catch (error) {
    const refused = collectorUnreachable(env.collectorUrl, error);
    await audit({ error: refused.message });
    throw refused;
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const refused = appErrorFromCollector(res.status, body);
    await audit({ error: refused.message });
    throw refused;
  }
  const result = SourceTestEventResultSchema.safeParse(body);
  if (!result.success) {
    throw new AppError('UNAVAILABLE', 'The collector answered the test event with something unexpected.');
  }
  await audit({
    accepted: result.data.accepted,
    alerts: result.data.alerts.map((a) => a.id),
    spooled: result.data.spooled,
    queued: result.data.queued,
    reason: result.data.reason,
  });
  return result.data;
}
