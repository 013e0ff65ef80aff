/** Test support: a local HTTP server shaped like Okta's System Log API. */
import type { FastifyInstance } from 'fastify';
import { listenLocal } from './test-server.js';

/** The API token the fake accepts (`Authorization: SSWS <token>`). */
export const FAKE_OKTA_TOKEN = '00abcdefSSWStoken';

/**
 * A local server shaped like Okta's System Log API: SSWS auth, `since` + `sortOrder=ASCENDING`
 * for the first request, an opaque `after` cursor in `Link: <…>; rel="next"` on every answer
 * (also when empty: Okta's polling contract), X-Rate-Limit-* headers, scripted 429s.
 */
export class FakeOkta {
  events: Record<string, unknown>[] = [];
  requests: { url: string; auth: string | undefined }[] = [];
  /** Status codes to answer the next requests with, before serving normally. */
  script: number[] = [];
  remaining = 100;
  resetAt = Math.floor(Date.now() / 1000) + 60;
  omitLink = false;
  foreignLink = false;
  server!: { app: FastifyInstance; url: string };

  add(n: number, overrides: Record<string, unknown> = {}): void {
    for (let i = 0; i < n; i++) {
      const k = this.events.length;
      this.events.push({
        uuid: `uuid-${k}`,
        published: new Date(Date.now() - 5_000 + k).toISOString(),
        eventType: 'user.session.start',
        version: '0',
        severity: 'INFO',
        displayMessage: 'User login to Okta',
        actor: { id: '00u1', type: 'User', alternateId: 'alice@example.com', displayName: 'Alice' },
        client: { ipAddress: '203.0.113.7', geographicalContext: { country: 'France' } },
        outcome: { result: 'SUCCESS' },
        securityContext: { isProxy: false },
        ...overrides,
      });
    }
  }

  async start(): Promise<void> {
    this.server = await listenLocal(async (app) => {
      app.get('/api/v1/logs', async (req, reply) => {
        this.requests.push({ url: req.url, auth: req.headers.authorization });
        reply.header('x-rate-limit-limit', '120');
        reply.header('x-rate-limit-reset', String(this.resetAt));
        const scripted = this.script.shift();
        if (scripted) {
          reply.header('x-rate-limit-remaining', '0');
          return reply
            .code(scripted)
            .send({ errorCode: scripted === 429 ? 'E0000047' : 'E0000009', errorSummary: 'scripted' });
        }
        if (req.headers.authorization !== `SSWS ${FAKE_OKTA_TOKEN}`) {
          return reply.code(401).send({ errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
        }
        reply.header('x-rate-limit-remaining', String(this.remaining));
        const q = req.query as Record<string, string>;
        const limit = Number(q.limit ?? 100);
        let start: number;
        if (q.after !== undefined) start = Number(Buffer.from(q.after, 'base64url').toString());
        else {
          if (q.sortOrder !== 'ASCENDING')
            return reply
              .code(400)
              .send({ errorCode: 'E0000001', errorSummary: 'expected sortOrder=ASCENDING' });
          const since = Date.parse(q.since ?? '1970-01-01T00:00:00Z');
          start = this.events.findIndex((e) => Date.parse(e.published as string) >= since);
          if (start < 0) start = this.events.length;
        }
        const page = this.events.slice(start, start + limit);
        const after = Buffer.from(String(start + page.length)).toString('base64url');
        const origin = this.foreignLink ? 'http://evil.example' : this.server.url;
        if (!this.omitLink)
          reply.header('link', `<${origin}/api/v1/logs?limit=${limit}&after=${after}>; rel="next"`);
        return page;
      });
    });
  }
}
