/**
 * Test support for notifications: a loopback HTTP receiver whose paths behave as the fault tests
 * need (answer at once, slowly, 500 then 200, 429 with Retry-After), and an SMTP server with
 * STARTTLS (a certificate made on the spot with the local openssl) whose mails are parsed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** How a path answers: `plan` lists the statuses of successive requests (the last one repeats). */
export interface PathBehaviour {
  plan?: number[];
  /** Milliseconds to wait before answering (each request). */
  delayMs?: number;
  /** Delays of successive requests (the last one repeats); wins over delayMs. */
  delays?: number[];
  headers?: Record<string, string>;
}

export interface HttpReceiver {
  url: string;
  requests: ReceivedRequest[];
  on(path: string, behaviour: PathBehaviour): void;
  /** Requests to a path (query string ignored). */
  to(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const behaviours = new Map<string, PathBehaviour>();
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p = (req.url ?? '/').split('?')[0]!;
      requests.push({
        path: p,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      const b = behaviours.get(p) ?? {};
      const n = seen.get(p) ?? 0;
      seen.set(p, n + 1);
      const pick = <T>(list: T[] | undefined, fallback: T): T =>
        list && list.length > 0 ? (list[Math.min(n, list.length - 1)] as T) : fallback;
      const status = pick(b.plan, 200);
      const delay = pick(b.delays, b.delayMs ?? 0);
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(status, {
          'content-type': 'application/json',
          ...(status === 429 || status === 503 ? b.headers : {}),
        });
        res.end(status < 300 ? '{"status":"success"}' : '{"error":"receiver says no"}');
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    on: (p, b) => behaviours.set(p, b),
    to: (p) => requests.filter((r) => r.path === p),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SmtpReceiver {
  port: number;
  /** The certificate to trust (self-signed for localhost and 127.0.0.1). */
  cert: string;
  mails: (ParsedMail & { secure: boolean; user: string | undefined })[];
  close(): Promise<void>;
}

/** An SMTP server on 127.0.0.1 that requires STARTTLS and a login (`user` / `password`). */
export async function startSmtpReceiver(
  credentials = { user: 'mailer', password: 'mail-secret' },
): Promise<SmtpReceiver> {
  const dir = mkdtempSync(path.join(tmpdir(), 'peregrine-smtp-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
    const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const mails: SmtpReceiver['mails'] = [];
    const server = new SMTPServer({
      key,
      cert,
      secure: false,
      // No AUTH before STARTTLS (smtp-server's default): a login in clear text is refused.
      authOptional: false,
      logger: false,
      disabledCommands: [],
      onAuth(auth, _session, callback) {
        if (auth.username === credentials.user && auth.password === credentials.password)
          callback(null, { user: auth.username });
        else callback(new Error('invalid login'));
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            mails.push(
              Object.assign(mail, { secure: session.secure, user: session.user as string | undefined }),
            );
            callback();
          })
          .catch((err: Error) => callback(err));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const address = server.server.address();
    if (!address || typeof address === 'string') throw new Error('no TCP address');
    return {
      port: address.port,
      cert,
      mails,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A port with nothing listening (a receiver that is down). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}
