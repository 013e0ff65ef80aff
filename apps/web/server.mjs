#!/usr/bin/env node
// The console's HTTP server: Next's request handler behind Node's own server, for two things
// `next start` cannot do. It listens on PEREGRINE_CONSOLE_HOST (127.0.0.1 unless configured), and
// it tells the app each request's TCP peer (src/server/client-address.ts): Next hands route
// handlers no socket, and fills X-Forwarded-For with the peer only when the client sent none, so
// without this any client could choose the address rate limits and audit entries see.
// Validation of the other settings is the app's (src/env.ts); only what listening needs is read here.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';

const port = Number(process.env.PORT || 3000);
const host = process.env.PEREGRINE_CONSOLE_HOST?.trim() || '127.0.0.1';
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`PORT must be a TCP port, not "${process.env.PORT}"`);
  process.exit(2);
}

// As `next start` does: the built console is production (the app refuses to run without its secrets).
process.env.NODE_ENV ??= 'production';
const { default: next } = await import('next');

// Shared with the bundled app through globalThis (the symbol is the contract, see client-address.ts).
const PEER_STORE = Symbol.for('peregrine.peerAddress');
globalThis[PEER_STORE] ??= new AsyncLocalStorage();
const peers = globalThis[PEER_STORE];

const app = next({ dev: false, dir: import.meta.dirname, hostname: host, port });
const handle = app.getRequestHandler();
try {
  await app.prepare();
} catch (error) {
  // next.config.ts picks the build folder by PEREGRINE_BASE_PATH (one per sub-path).
  const basePath = process.env.PEREGRINE_BASE_PATH?.trim();
  if (/production build/i.test(String(error?.message)) && basePath) {
    console.error(
      `no console build for PEREGRINE_BASE_PATH=${basePath}: the sub-path is fixed at build time. ` +
        '`npm start` builds it; or run `npm run build -w @peregrine/web` with the same PEREGRINE_BASE_PATH.',
    );
    process.exit(1);
  }
  throw error;
}

const server = createServer((req, res) => {
  peers.run(req.socket.remoteAddress ?? '', () => {
    handle(req, res).catch((error) => {
      console.error('request failed:', error);
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  // Finish requests in flight, then exit; a client holding a connection open cannot keep us up.
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 5000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.once('error', (error) => {
  console.error(`the console cannot listen on ${host}:${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  const shown = host.includes(':') ? `[${host}]` : host;
  console.log(`console listening on http://${shown}:${port}`);
});
