import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A cgroup named the way a container runtime names it (`system.slice/docker-<64hex>.scope`), for
 * tests that need a process "in a container" without a runtime. Works on cgroup v2 and on v1/hybrid
 * hosts (it picks the first hierarchy that accepts a pid). Needs root.
 */
export class RuntimeNamedCgroup {
  readonly path: string;
  /** The `system.slice` directory, when this helper created it (removed again at the end). */
  readonly #createdParent: string | undefined;

  private constructor(path: string, createdParent: string | undefined) {
    this.path = path;
    this.#createdParent = createdParent;
  }

  /** Creates `<hierarchy>/system.slice/docker-<id>.scope`; undefined when no hierarchy is writable. */
  static create(id: string): RuntimeNamedCgroup | undefined {
    const roots = [
      '/sys/fs/cgroup',
      '/sys/fs/cgroup/unified',
      '/sys/fs/cgroup/pids',
      '/sys/fs/cgroup/systemd',
    ];
    for (const root of roots) {
      if (!existsSync(join(root, 'cgroup.procs'))) continue;
      const parent = join(root, 'system.slice');
      const path = join(parent, `docker-${id}.scope`);
      const createdParent = existsSync(parent) ? undefined : parent;
      try {
        mkdirSync(path, { recursive: true });
        return new RuntimeNamedCgroup(path, createdParent);
      } catch {
        // Read-only or not a real hierarchy: try the next one.
      }
    }
    return undefined;
  }

  /** Moves a process in (its future children inherit the cgroup). */
  add(pid: number): void {
    writeFileSync(join(this.path, 'cgroup.procs'), String(pid));
  }

  /** Removes the cgroup once it is empty (moving stragglers to the parent first). */
  remove(): void {
    const parent = join(this.path, '..', '..');
    try {
      for (const pid of readFileSync(join(this.path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        writeFileSync(join(parent, 'cgroup.procs'), pid);
      }
    } catch {
      // Already empty or gone.
    }
    for (const dir of [this.path, this.#createdParent]) {
      if (!dir) continue;
      try {
        rmdirSync(dir);
      } catch {
        // Not empty (other users of system.slice) or already gone.
      }
    }
  }
}
