import { parseArgs } from 'node:util';

/** A wrong command line: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Config = Parameters<typeof parseArgs>[0] & { tokens: true; strict: true };

/**
 * `node:util` parseArgs (strict, with tokens) whose errors (unknown option, missing value, a value
 * for a switch) become UsageError; a single-valued option given twice is an error too (parseArgs
 * would keep the last one silently).
 */
export function parseCommandLine<T extends Config>(config: T): ReturnType<typeof parseArgs<T>> {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || config.options?.[token.name]?.multiple) continue;
    if (seen.has(token.name)) throw new UsageError(`option ${token.rawName} given twice`);
    seen.add(token.name);
  }
  return parsed;
}
