import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Bare Git repositories served over smart HTTP on loopback by Git's own `git http-backend` (CGI),
 * behind HTTP basic auth, as a Git host would serve them. Tests push and fetch with
 * isomorphic-git through it and check the results with the git CLI.
 */
export interface GitHttpServer {
  /** `http://127.0.0.1:<port>/<name>.git` */
  urlOf(name: string): string;
  /** Creates an empty bare repository `<name>.git` (default branch main). */
  createRepository(name: string): string;
  /** The repository's folder, for the git CLI. */
  pathOf(name: string): string;
  /** Runs the git CLI (identity and no user config set). */
  git(args: string[], cwd?: string): string;
  readonly root: string;
  close(): Promise<void>;
}

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Repo Owner',
  GIT_AUTHOR_EMAIL: 'owner@example.test',
  GIT_COMMITTER_NAME: 'Repo Owner',
  GIT_COMMITTER_EMAIL: 'owner@example.test',
};

/** Starts the server; `credentials` are the only user name and password it accepts. */
export async function startGitHttpServer(credentials: {
  username: string;
  password: string;
}): Promise<GitHttpServer> {
  const root = mkdtempSync(path.join(tmpdir(), 'peregrine-git-server-'));
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    if (req.headers.authorization !== expected) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('authentication required');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        ...process.env,
        ...GIT_ENV,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        // Set by the web server after authentication; http-backend allows pushes only with it.
        REMOTE_USER: credentials.username,
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.on('close', () => res.end());
    cgi.on('error', () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const git = (args: string[], cwd = root) =>
    execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' }).trim();
  return {
    root,
    urlOf: (name) => `http://127.0.0.1:${port}/${name}.git`,
    pathOf: (name) => path.join(root, `${name}.git`),
    createRepository(name) {
      const dir = path.join(root, `${name}.git`);
      git(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
      return dir;
    },
    git,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
