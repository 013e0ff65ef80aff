import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PORT_RESERVATIONS_DIR, reservePort } from './ports.js';

/** Ports below 1024 are never the kernel's pick for a listen on 0: safe to stage here. */
const STAGED = [101, 102, 103, 104, 105];
const fileOf = (port: number) => path.join(PORT_RESERVATIONS_DIR, String(port));
const picks = (...ports: number[]) => {
  let i = 0;
  return async () => ports[i++ % ports.length]!;
};
/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('reservePort', () => {
  it('skips a port a live process holds, and takes over one whose process is gone', async () => {
    mkdirSync(PORT_RESERVATIONS_DIR, { recursive: true });
    const [held, stale, free] = STAGED;
    try {
      writeFileSync(fileOf(held!), String(process.ppid));
      writeFileSync(fileOf(stale!), String(deadPid()));
      expect(await reservePort({ pick: picks(held!, free!) })).toBe(free);
      expect(readFileSync(fileOf(held!), 'utf8')).toBe(String(process.ppid));
      expect(await reservePort({ pick: picks(held!, stale!) })).toBe(stale);
      expect(readFileSync(fileOf(stale!), 'utf8')).toBe(String(process.pid));
    } finally {
      for (const p of [held, stale, free]) rmSync(fileOf(p!), { force: true });
    }
  });

  it('never gives this process the same port twice', async () => {
    const [a, b] = STAGED.slice(3);
    try {
      expect(await reservePort({ pick: picks(a!) })).toBe(a);
      expect(await reservePort({ pick: picks(a!, a!, b!) })).toBe(b);
    } finally {
      for (const p of [a, b]) rmSync(fileOf(p!), { force: true });
    }
  });

  it('gives real free ports, and frees them when the process exits', () => {
    const script = `
      import { reservePort } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../dist/testing/ports.js'))};
      const ports = [];
      for (let i = 0; i < 20; i++) ports.push(await reservePort());
      console.log(JSON.stringify(ports));`;
    const ports: number[] = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }),
    );
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) {
      expect(p).toBeGreaterThan(1023);
      expect(existsSync(fileOf(p))).toBe(false);
    }
  });
});
