/**
 * CPU time of one check of `npm test`, every process it starts included (consoles, collectors,
 * Chromium, sensors, embedded PostgreSQL servers; not the shared PostgreSQL server they talk to):
 * the check runs in a control group of its own, cgroup v1 `cpuacct` or v2. Needs root, as CI has;
 * elsewhere `CpuAccount.create` returns undefined and the summary shows wall time only.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const V1 = '/sys/fs/cgroup/cpuacct';
const V2 = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'];

function hierarchy() {
  if (existsSync(path.join(V1, 'cpuacct.usage'))) return { root: V1, v2: false };
  for (const root of V2)
    if (existsSync(path.join(root, 'cgroup.controllers')) && existsSync(path.join(root, 'cgroup.procs')))
      return { root, v2: true };
  return undefined;
}

let made = 0;

export class CpuAccount {
  /** @param {string} dir @param {boolean} v2 */
  constructor(dir, v2) {
    this.dir = dir;
    this.v2 = v2;
  }

  /** A new group, or undefined where none can be made (not root, no cgroup file system). */
  static create() {
    const h = hierarchy();
    if (!h) return undefined;
    const dir = path.join(h.root, `peregrine-test-${process.pid}-${++made}`);
    try {
      mkdirSync(dir);
      return new CpuAccount(dir, h.v2);
    } catch {
      return undefined;
    }
  }

  /**
   * `command args` run inside the group: a shell moves itself in, then execs the command, so
   * every process the command starts is born inside.
   * @param {string} command @param {string[]} args @returns {[string, string[]]}
   */
  wrap(command, args) {
    return ['sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', this.dir, command, ...args]];
  }

  /** CPU seconds (user + system) of everything that ran in the group. */
  seconds() {
    if (this.v2) {
      const stat = readFileSync(path.join(this.dir, 'cpu.stat'), 'utf8');
      return Number(/^usage_usec (\d+)/m.exec(stat)?.[1] ?? Number.NaN) / 1e6;
    }
    return Number(readFileSync(path.join(this.dir, 'cpuacct.usage'), 'utf8')) / 1e9;
  }

  /** Removes the group; processes left in it (a daemon a check started) move to the parent first. */
  remove() {
    try {
      const left = readFileSync(path.join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      for (const pid of left) {
        try {
          writeFileSync(path.join(path.dirname(this.dir), 'cgroup.procs'), pid);
        } catch {
          // Gone meanwhile.
        }
      }
      rmdirSync(this.dir);
    } catch {
      // Left behind: it holds nothing that matters, and the name is this run's own.
    }
  }
}

/** CPU seconds the whole machine spent busy so far (/proc/stat: everything but idle and iowait). */
export function machineBusySeconds() {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return undefined;
  }
}
