import { readdirSync, readFileSync } from 'node:fs';

/** The pid of `ppid`'s child with that name (its comm, which the kernel cuts at 15 characters). */
export function childByName(ppid: number, name: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppidOf = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidOf === ppid && comm === name) return Number(entry);
    } catch {
      // Exited while scanning.
    }
  }
  return undefined;
}
