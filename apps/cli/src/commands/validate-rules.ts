/**
 * `peregrine rules validate FILE...`: Falco's `-V`. Loads the files in order (one namespace, as
 * Falco does), prints each file's result with its errors and warnings, exits 1 if any failed.
 */
import { formatFileResult, load, loadResultsJson, toJson } from '@peregrine/engine';
import { parseCommandLine } from '../args.js';
import { cliCompileCache } from '../compile-cache.js';
import type { CliEnv } from '../env.js';
import { readRulesFiles } from '../read-rules.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const VALIDATE_USAGE = 'usage: peregrine rules validate [--json] [-v] FILE|DIR...';

export async function validateRules(
  argv: readonly string[],
  io: Io,
  env: Pick<CliEnv, 'compileCacheDir'> = { compileCacheDir: undefined },
): Promise<number> {
  const args = parseCommandLine({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: { json: { type: 'boolean' }, verbose: { type: 'boolean', short: 'v' } },
  });
  if (args.positionals.length === 0) {
    io.err(`${VALIDATE_USAGE}\n`);
    return 2;
  }
  const files = await readRulesFiles(args.positionals);
  const cache = cliCompileCache(env.compileCacheDir, io.err);
  const result = load(files, cache ? { cache } : {});
  const contents = new Map(files.map((f) => [f.name, f.content]));
  if (args.values.json === true) {
    io.out(`${toJson(loadResultsJson(result.files, contents))}\n`);
  } else {
    io.out('Validating rules file(s):\n');
    for (const f of files) io.out(`   ${f.name}\n`);
    // As falco -V: a failed file, or a clean one, prints its full result; a file with only
    // warnings prints "Ok, with warnings" and its warnings go to stderr with -v.
    const summary = result.files.map((r) => {
      if (!r.successful || r.warnings.length === 0) return formatFileResult(r, contents);
      if (args.values.verbose === true) io.err(`${formatFileResult(r, contents)}\n`);
      return `${r.name}: Ok, with warnings\n`;
    });
    io.out(summary.join('\n'));
    // Files after the first failing one are not read, as in Falco.
    const stopped = result.files.length < files.length;
    if (stopped) io.out(`Stopped after ${result.files.at(-1)?.name ?? ''}: later files were not loaded.\n`);
  }
  return result.ok ? 0 : 1;
}
