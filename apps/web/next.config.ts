import path from 'node:path';
import type { NextConfig } from 'next';
import { distDirFor, parseBasePath } from './src/lib/base-path';
import { NON_PAGE_CONTENT_SECURITY_POLICY } from './src/server/content-security-policy';

// Behind a gateway, the console's sub-path (README: "Behind a gateway"). Next fixes it at build
// time; each sub-path gets its own build folder, and server.mjs serves the one for the value it
// is started with (turbo's build hash includes the variable, so `npm start` rebuilds on a change).
const basePath = parseBasePath(process.env.PEREGRINE_BASE_PATH);

// Headers that cost nothing and close whole classes of attacks on a security console:
// no framing (clickjacking), no MIME sniffing, no referrer leaking alert URLs to other sites.
// Pages get their Content-Security-Policy, with a per-request script nonce, from src/proxy.ts.
const securityHeaders = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
];

// Responses that are not pages (the API's JSON) run nothing and load nothing.
const apiHeaders = [{ key: 'Content-Security-Policy', value: NON_PAGE_CONTENT_SECURITY_POLICY }];

const config: NextConfig = {
  reactStrictMode: true,
  ...(basePath ? { basePath } : {}),
  distDir: distDirFor(basePath),
  // For code that builds URLs by hand (src/lib/base-path.ts): the value this build was made with.
  env: { PEREGRINE_BUILT_BASE_PATH: basePath },
  typescript: { ignoreBuildErrors: true },
  // TypeScript 7 (the native compiler) has no JavaScript API: Next reads the project through the
  // `tsc` command instead. The build does not type-check (`npm run typecheck` does).
  experimental: { turbopackFileSystemCacheForBuild: false, useTypeScriptCli: true },
  poweredByHeader: false,
  // Workspace packages the browser bundle may import (the rules engine runs client-side in the editor).
  transpilePackages: ['@peregrine/engine', '@peregrine/protocol'],
  // The database layer (Prisma client, pg) stays a plain Node dependency instead of being bundled.
  serverExternalPackages: ['@peregrine/db', 'pg'],
  turbopack: { root: path.resolve(import.meta.dirname, '../..') },
  async headers() {
    return [
      { source: '/:path*', headers: securityHeaders },
      { source: '/api/:path*', headers: apiHeaders },
    ];
  },
};

export default config;
