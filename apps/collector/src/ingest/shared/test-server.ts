import Fastify, { type FastifyInstance } from 'fastify';

/** A real fastify server on 127.0.0.1 with the given routes; returns its base URL. */
export async function listenLocal(
  register: (app: FastifyInstance) => Promise<void>,
): Promise<{ app: FastifyInstance; url: string }> {
  // Tests close servers while clients may still hold keep-alive sockets: drop them all.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return { app, url: `http://127.0.0.1:${address.port}` };
}
