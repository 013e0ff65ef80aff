import type { SourceKind } from '@peregrine/db';
import type { FastifyRequest } from 'fastify';
import { CollectorError } from '../../http/errors.js';
import { requestToken } from './http.js';
import type { CloudSourceStore, ResolvedSource } from './source-store.js';

/** A source named in the URL (`/.../:sourceId`): unknown, other-kind or disabled ones are 404. */
export async function sourceFromPath(
  sources: CloudSourceStore,
  kind: SourceKind,
  sourceId: string,
): Promise<ResolvedSource> {
  const source = await sources.byId(sourceId);
  if (!source || source.kind !== kind || !source.enabled) {
    throw new CollectorError('UNKNOWN_SOURCE', `no enabled ${kind} source ${JSON.stringify(sourceId)}`);
  }
  return source;
}

/**
 * Authenticates a push by its ingest token (see `requestToken` for where it may be). With a source
 * id in the path the token must belong to that source; without, the token alone names the source.
 */
export async function authenticatePush(
  req: FastifyRequest,
  sources: CloudSourceStore,
  kind: SourceKind,
  sourceId?: string,
): Promise<ResolvedSource> {
  const named = sourceId === undefined ? undefined : await sourceFromPath(sources, kind, sourceId);
  const token = requestToken(req);
  if (!token)
    throw new CollectorError('UNAUTHENTICATED', 'missing ingest token (Authorization: Bearer <token>)');
  const source = await sources.byToken(token);
  if (!source || (named && named.id !== source.id)) {
    throw new CollectorError('UNAUTHENTICATED', 'invalid ingest token');
  }
  if (source.kind !== kind) {
    throw new CollectorError('FORBIDDEN', `this token belongs to a ${source.kind} source, not ${kind}`);
  }
  if (!source.enabled) throw new CollectorError('FORBIDDEN', `source "${source.name}" is disabled`);
  return source;
}
