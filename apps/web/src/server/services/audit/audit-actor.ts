import 'server-only';
import type { Actor } from '@peregrine/db';
import type { RequestActor } from '../../trpc';

/** The audit actor of a request (user or API key). */
export function auditActor(actor: RequestActor): Actor {
  return { userId: actor.userId, apiKeyId: actor.apiKeyId, ip: actor.ip, userAgent: actor.userAgent };
}
