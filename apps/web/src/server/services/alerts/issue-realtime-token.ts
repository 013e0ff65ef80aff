import 'server-only';
import { REALTIME_TOKEN_TTL_SECONDS, signRealtimeToken } from '@peregrine/protocol';
import { serverEnv } from '@/env';
import { AppError } from '../../errors/app-error';
import { listEnvironments } from '../environment/list-environments';

/**
 * A short-lived token for the collector's socket.io stream, granting the organisation's
 * environments (or just the one asked for), and where to connect. The token's subject is the
 * user, or `api_key:<id>` for automation; a key's token also carries `apiKeyId`, so the collector
 * refuses it, and cuts its streams, as soon as the key is revoked.
 */
export async function issueRealtimeToken(input: {
  organizationId: string;
  subject: string;
  /** The API key asking (null for a user session). */
  apiKeyId?: string | null;
  environment: string | null;
  now?: Date;
}): Promise<{ token: string; url: string; environmentIds: string[]; expiresAt: Date }> {
  const realtime = serverEnv().realtime;
  if (!realtime) {
    throw new AppError(
      'UNAVAILABLE',
      'Live updates are off: set PEREGRINE_SECRET_KEY and PEREGRINE_COLLECTOR_URL.',
    );
  }
  const environments = await listEnvironments(input.organizationId);
  const chosen = input.environment ? environments.filter((e) => e.name === input.environment) : environments;
  if (input.environment && chosen.length === 0) {
    throw new AppError('NOT_FOUND', `No environment named "${input.environment}".`);
  }
  const exp = Math.floor((input.now ?? new Date()).getTime() / 1000) + REALTIME_TOKEN_TTL_SECONDS;
  const environmentIds = chosen.map((e) => e.id);
  const token = await signRealtimeToken(
    {
      userId: input.subject,
      organizationId: input.organizationId,
      environmentIds,
      exp,
      ...(input.apiKeyId ? { apiKeyId: input.apiKeyId } : {}),
    },
    realtime.secret,
  );
  return { token, url: realtime.collectorUrl, environmentIds, expiresAt: new Date(exp * 1000) };
}
