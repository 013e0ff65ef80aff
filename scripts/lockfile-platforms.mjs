#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages (darwin, win32,
// musl builds of biome, turbo, next's swc, ...) that this machine's registry does not serve.
// npm records only the packages it could resolve, and `npm ci` then refuses the lockfile as "out
// of sync" (Missing: @biomejs/cli-darwin-arm64@ from lock file). A stub entry carrying the
// package's os/cpu/libc lets `npm ci` validate the tree and skip it as foreign to this platform.
// Runs as the root `postinstall`; idempotent; `--check` exits 1 when the lockfile needs it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LOCK = path.join(ROOT, 'package-lock.json');
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix'];
const CPU = {
  x64: 'x64',
  64: 'x64',
  amd64: 'x64',
  arm64: 'arm64',
  aarch64: 'arm64',
  ia32: 'ia32',
  arm: 'arm',
  armv7: 'arm',
  ppc64: 'ppc64',
  ppc64le: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

/** os/cpu/libc of a platform package from its name, or null when the name does not say. */
export function platformOf(name) {
  const tokens = name.split('/').pop().split(/[-_.]/);
  const os =
    tokens.find((t) => OS.includes(t)) ??
    (tokens.includes('windows') || tokens.includes('win') ? 'win32' : undefined);
  const cpuToken = tokens.find((t) => t in CPU);
  if (!os || !cpuToken) return null;
  const out = { os: [os], cpu: [CPU[cpuToken]] };
  if (tokens.includes('musl')) out.libc = ['musl'];
  else if (os === 'linux' && tokens.includes('gnu')) out.libc = ['glibc'];
  return out;
}

function complete(lock) {
  const pkgs = lock.packages;
  const added = [];
  for (const [loc, entry] of Object.entries(pkgs)) {
    for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
      // npm resolves a dependency from the parent's folder upwards.
      let found = false;
      for (let dir = loc; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
        if (pkgs[`${dir ? `${dir}/` : ''}node_modules/${dep}`]) found = true;
        if (found || !dir) break;
      }
      if (found) continue;
      const platform = platformOf(dep);
      const version = range.replace(/^[\^~=]/, '');
      if (!platform || !/^\d+\.\d+\.\d+/.test(version)) continue;
      const at = pkgs[`node_modules/${dep}`] ? `${loc}/node_modules/${dep}` : `node_modules/${dep}`;
      pkgs[at] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platform };
      added.push(`${dep}@${version}`);
    }
  }
  return added;
}

const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const added = complete(lock);
if (process.argv.includes('--check')) {
  if (added.length) {
    console.error(
      `package-lock.json lacks ${added.length} platform packages: run node scripts/lockfile-platforms.mjs`,
    );
    process.exit(1);
  }
} else if (added.length) {
  lock.packages = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
  );
  writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`package-lock.json: added ${added.length} platform package stubs`);
}
