import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exampleHeartbeat } from '@peregrine/protocol/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CollectorApiError, CollectorClient } from './collector-client.js';

const heartbeat = exampleHeartbeat({ phase: 'starting' });

describe('CollectorClient', () => {
  let server: Server;
  let url: string;
  let answer: (req: IncomingMessage, body: string, res: ServerResponse) => void;
  /** What the collector got: each request, with the client port its connection came from. */
  const seen: Array<{
    method?: string | undefined;
    url?: string | undefined;
    headers: IncomingMessage['headers'];
    body: string;
    port?: number | undefined;
  }> = [];

  beforeEach(async () => {
    seen.length = 0;
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body,
          port: req.socket.remotePort,
        });
        answer(req, body, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (timeoutMs = 2000) => new CollectorClient({ url, key: 'prs_key', timeoutMs });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.unreachable('should have failed'),
      (error: unknown) => error as CollectorApiError,
    );

  it('posts the heartbeat as JSON with the key, and reads the answer', async () => {
    answer = (_req, _body, res) => res.end(JSON.stringify({ ok: true, rulesVersion: 'r7' }));
    const c = client();
    expect(await c.heartbeat(heartbeat)).toEqual({ ok: true, rulesVersion: 'r7' });
    expect(await c.heartbeat(heartbeat)).toEqual({ ok: true, rulesVersion: 'r7' });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/sensor/heartbeat',
      headers: { authorization: 'Bearer prs_key', 'content-type': 'application/json' },
    });
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual(heartbeat);
    // Kept alive: the second heartbeat rode the first one's connection.
    expect(seen[1]?.port).toBe(seen[0]?.port);
  });

  it('pulls the config with a GET and no body', async () => {
    answer = (_req, _body, res) =>
      res.end(JSON.stringify({ rulesVersion: 'r1', eventTypes: ['execve'], batchVersions: [1, 2, 3] }));
    expect(await client().fetchConfig()).toMatchObject({ rulesVersion: 'r1', eventTypes: ['execve'] });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/v1/sensor/config', body: '' });
    expect(seen[0]?.headers['content-type']).toBeUndefined();
  });

  it('says which way a call failed: key refused, HTTP error, not JSON, wrong shape', async () => {
    answer = (_req, _body, res) => {
      res.statusCode = 401;
      res.end('{"error":"unauthorized"}');
    };
    expect(await failure(client().heartbeat(heartbeat))).toMatchObject({ code: 'unauthorized', status: 401 });
    answer = (_req, _body, res) => {
      res.statusCode = 503;
      res.end('collector busy');
    };
    const busy = await failure(client().heartbeat(heartbeat));
    expect(busy).toBeInstanceOf(CollectorApiError);
    expect(busy).toMatchObject({ code: 'http', status: 503, message: 'HTTP 503: collector busy' });
    answer = (_req, _body, res) => res.end('<html>');
    expect(await failure(client().heartbeat(heartbeat))).toMatchObject({ code: 'bad-response' });
    answer = (_req, _body, res) => res.end('{"ok":false}');
    expect(await failure(client().heartbeat(heartbeat))).toMatchObject({
      code: 'bad-response',
      message: expect.stringMatching(/^heartbeat: /),
    });
  });

  it('is unreachable when nothing listens, and when no answer comes in time', async () => {
    answer = () => {
      // Never answers.
    };
    const slow = await failure(client(200).heartbeat(heartbeat));
    expect(slow).toMatchObject({
      code: 'unreachable',
      message: expect.stringMatching(/no answer within 200 ms/),
    });
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    const down = await failure(client().heartbeat(heartbeat));
    expect(down).toMatchObject({ code: 'unreachable', message: expect.stringMatching(/ECONNREFUSED/) });
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
});
