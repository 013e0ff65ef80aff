/**
 * `pmatch`: path-prefix matching by whole components (libsinsp's `path_prefix_search`). Entry
 * components with `*`, `?` or `[` are fnmatch'ed against a single path component, so wildcards
 * never cross `/`. Matching walks the path in place (no split, no allocation for literal entries).
 */
import { compileGlob, hasGlobChars } from './glob.js';

type Component = string | ((s: string) => boolean);

function split(path: string): string[] {
  return path.split('/').filter((c) => c.length > 0);
}

/** Index of the next component start at or after `i` (skipping slashes), or path.length. */
function skipSlashes(path: string, i: number): number {
  while (i < path.length && path.charCodeAt(i) === 47) i++;
  return i;
}

function matchEntry(entry: readonly Component[], path: string): boolean {
  let i = skipSlashes(path, 0);
  for (const c of entry) {
    if (i >= path.length) return false;
    let end = path.indexOf('/', i);
    if (end === -1) end = path.length;
    if (typeof c === 'string') {
      if (end - i !== c.length || !path.startsWith(c, i)) return false;
    } else if (!c(path.slice(i, end))) {
      return false;
    }
    i = skipSlashes(path, end);
  }
  return true;
}

/** Compiles a pmatch set; the matcher tells whether some entry is a component prefix of `path`. */
export function compilePmatch(entries: readonly string[]): (path: string) => boolean {
  const compiled: Component[][] = entries.map((e) =>
    split(e).map((c) => (hasGlobChars(c) ? compileGlob(c) : c)),
  );
  // An entry with no components is the root: it matches every path.
  if (compiled.some((c) => c.length === 0)) return () => true;
  return (path: string): boolean => {
    for (const entry of compiled) if (matchEntry(entry, path)) return true;
    return false;
  };
}
