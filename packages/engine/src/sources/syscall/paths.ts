/**
 * Path normalisation as libsinsp and Falco do it, without the filesystem: the one copy used by
 * the capture reader (`evt.arg.*` paths made absolute) and the sensor (paths of opens and execs).
 */

/** True when an absolute path has no empty, `.` or `..` component and no trailing `/`. */
function isCleanPath(path: string): boolean {
  const last = path.length - 1;
  if (last < 0 || path.charCodeAt(0) !== 47) return false;
  for (let i = 0; i < last; i++) {
    if (path.charCodeAt(i) !== 47) continue;
    const next = path.charCodeAt(i + 1);
    if (next === 47) return false;
    if (next === 46) {
      // `/.` or `/..` as a whole component; `/.cache` and `/..x` are names.
      const after = i + 2 <= last ? path.charCodeAt(i + 2) : 47;
      if (after === 47) return false;
      if (after === 46 && (i + 3 > last || path.charCodeAt(i + 3) === 47)) return false;
    }
  }
  return last === 0 || path.charCodeAt(last) !== 47;
}

/** Collapses `.`/`..`/`//` and a trailing `/` in an absolute path (`/tmp//a/./b/../c` -> `/tmp/a/c`). */
export function normalizePath(path: string): string {
  // Most paths are already clean (absolute, no empty, `.` or `..` component, no trailing `/`).
  if (isCleanPath(path)) return path;
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
