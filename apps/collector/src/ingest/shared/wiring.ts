import { type Db, parseSecretKey } from '@peregrine/db';
import type { IngestContext } from '../register.js';
import { type CloudSourceStore, createDbSourceStore } from './source-store.js';
import type { CloudIngestDeps } from './submit.js';

const stores = new WeakMap<Db, CloudSourceStore>();

/**
 * The cloud-source deps from the composition root's context. One store per database, so every
 * cloud module shares one lookup cache. Without a usable PEREGRINE_SECRET_KEY, sources whose
 * secrets are needed report that as their error instead of failing the collector.
 */
export function dbIngestDeps(ctx: IngestContext): CloudIngestDeps {
  let sources = stores.get(ctx.db);
  if (!sources) {
    const raw = ctx.env.PEREGRINE_SECRET_KEY;
    let secretKey: Buffer | undefined;
    if (raw) {
      try {
        secretKey = parseSecretKey(raw);
      } catch (err) {
        // Not fatal: push sources without secrets still work; the others report it per source.
        ctx.log.warn(
          { err },
          'PEREGRINE_SECRET_KEY is not 32 bytes of base64: source secrets cannot be read',
        );
      }
    } else ctx.log.warn('PEREGRINE_SECRET_KEY is not set: source secrets (GitHub, Okta, AWS) cannot be read');
    sources = createDbSourceStore(ctx.db, {
      ...(secretKey ? { secretKey } : {}),
      revocations: ctx.revocations,
    });
    stores.set(ctx.db, sources);
  }
  return { pipeline: ctx.pipeline, sources, metrics: ctx.metrics, reach: ctx.reach };
}
