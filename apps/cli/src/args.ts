/** A small argv parser: flags with values, repeatable options, positionals. Throws UsageError. */

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface OptionSpec {
  /** Takes a value (`-r FILE`) or is a boolean switch (`--json`). */
  value: boolean;
  repeat?: boolean;
}

export interface ParsedArgs {
  options: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
}

/** Parse `argv` against `spec` (keys are the spellings, e.g. `-r` and `--rules`, mapped by `alias`). */
export function parseArgs(
  argv: readonly string[],
  spec: Record<string, OptionSpec>,
  alias: Record<string, string> = {},
): ParsedArgs {
  const out: ParsedArgs = { options: new Map(), flags: new Set(), positionals: [] };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!raw.startsWith('-') || raw === '-') {
      out.positionals.push(raw);
      continue;
    }
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const given = eq > 0 ? raw.slice(0, eq) : raw;
    const name = alias[given] ?? given;
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option ${given}`);
    if (!s.value) {
      if (eq > 0) throw new UsageError(`option ${given} takes no value`);
      out.flags.add(name);
      continue;
    }
    let v: string | undefined;
    if (eq > 0) v = raw.slice(eq + 1);
    else v = argv[++i];
    if (v === undefined) throw new UsageError(`option ${given} needs a value`);
    const list = out.options.get(name) ?? [];
    if (list.length && !s.repeat) throw new UsageError(`option ${given} given twice`);
    list.push(v);
    out.options.set(name, list);
  }
  return out;
}
