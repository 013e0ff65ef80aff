import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../free-port.js';

/** Where reservations are kept: one file per port, holding the reserving process's pid. */
export const PORT_RESERVATIONS_DIR = path.join(os.tmpdir(), 'peregrine-port-reservations');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const mine = new Set<string>();
let cleanupRegistered = false;

/**
 * A port for a server that another process will start (a collector, a console, a database): free
 * now, and given to no other caller of this function on this machine while this process lives.
 *
 * A free port alone (listen on 0, close, start the server later) is a race with every other
 * process doing the same: two reliability soaks started together were given the same collector
 * port, and their collectors took it from each other on every restart (clean-clone CI,
 * 2026-12-07). Each reservation is a file named after the port, created exclusively in a folder
 * every caller shares; a file whose process is gone is taken over. Reservations end when this
 * process exits.
 */
export async function reservePort(
  options: {
    /** Where candidates come from (tests); default: the kernel's pick of a free port. */
    pick?: () => Promise<number>;
  } = {},
): Promise<number> {
  const pick = options.pick ?? freePort;
  mkdirSync(PORT_RESERVATIONS_DIR, { recursive: true });
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once('exit', () => {
      for (const file of mine) {
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      }
    });
  }
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = await pick();
    const file = path.join(PORT_RESERVATIONS_DIR, String(port));
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      mine.add(file);
      return port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // Reserved already: by a live process, look for another port; by one that is gone, free the
    // file and try again.
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(file, 'utf8'));
    } catch {
      // removed meanwhile
    }
    if (!(holder > 0 && alive(holder))) {
      try {
        unlinkSync(file);
      } catch {
        // another caller took it over first
      }
    }
  }
  throw new Error(`no port could be reserved in ${PORT_RESERVATIONS_DIR}`);
}
