import { createServer } from 'node:net';

/**
 * A port free on 127.0.0.1 at this moment (the kernel's pick for a listen on port 0). Another
 * process may take it before it is used: test harnesses that hand ports to other processes
 * reserve them (testing/ports.ts).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
