import { readFileSync, statSync } from 'node:fs';

/** Undoes the octal escapes of /proc/PID/mountinfo (`\040` is a space). */
function unescapeMountinfo(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Whether a process's executable lives in the upper (writable) layer of an overlayfs mount:
 * Falco's `proc.is_exe_upper_layer`, the "drop and execute" signal. The kernel drivers ask the
 * overlay inode; from userspace the sensor finds the overlay mount holding the exe path in the
 * process's /proc/PID/mountinfo and checks whether the file exists under that mount's `upperdir`
 * (a path in the mounting runtime's namespace: the host's for docker, containerd and cri-o).
 * Undefined when it cannot tell (the process is gone, or the upper directory is not visible from
 * here); false when the file is not on an overlay or not in its upper layer.
 */
export function exeInUpperLayer(
  pid: number,
  exepaths: readonly string[],
  procRoot = '/proc',
): boolean | undefined {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/mountinfo`, 'utf8');
  } catch {
    return undefined;
  }
  // The exec's own path is relative to the process's root, as mountinfo's mount points are;
  // /proc/PID/exe of a chrooted process reads as a path of its mount namespace instead.
  let answer: boolean | undefined;
  for (const exepath of new Set(exepaths)) {
    const found = inUpper(text, exepath);
    if (found) return true;
    answer ??= found;
  }
  return answer;
}

function inUpper(text: string, exepath: string): boolean | undefined {
  if (!exepath.startsWith('/')) return undefined;
  let best: { point: string; upper: string | undefined; overlay: boolean } | undefined;
  for (const line of text.split('\n')) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    const point = unescapeMountinfo(left[4] ?? '');
    const inside = point === '/' || exepath === point || exepath.startsWith(`${point}/`);
    // Later lines are mounted over earlier ones at the same point: the last longest match wins.
    if (!inside || (best && point.length < best.point.length)) continue;
    const upper = /(?:^|,)upperdir=([^,]*)/.exec(right[2] ?? '')?.[1];
    best = {
      point,
      upper: upper === undefined ? undefined : unescapeMountinfo(upper),
      overlay: right[0] === 'overlay',
    };
  }
  if (!best) return undefined;
  if (!best.overlay) return false;
  if (!best.upper) return undefined;
  const relative = best.point === '/' ? exepath : exepath.slice(best.point.length);
  try {
    return statSync(`${best.upper}${relative}`).isFile();
  } catch {
    return false;
  }
}
