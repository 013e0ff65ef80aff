/**
 * Reading rules files from disk, as Falco's `rules_files` does: files in the given order, a
 * directory contributing its `.yaml`/`.yml` entries sorted by name. The engine does no I/O; this
 * is where bytes become `{name, content}`.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RulesFile } from '@peregrine/engine';

export class RulesReadError extends Error {
  override readonly name = 'RulesReadError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export async function readRulesFiles(paths: readonly string[]): Promise<RulesFile[]> {
  const out: RulesFile[] = [];
  for (const p of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(p);
    } catch (e) {
      throw new RulesReadError(p, `Could not read rules file ${p}: ${(e as Error).message}`);
    }
    if (info.isDirectory()) {
      const entries = (await readdir(p)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
      for (const n of entries) out.push({ name: join(p, n), content: await readFile(join(p, n), 'utf8') });
    } else {
      out.push({ name: p, content: await readFile(p, 'utf8') });
    }
  }
  return out;
}
