/** One process of an alert's tree, from its Falco fields. */
export interface ProcessNode {
  /** 0 the alert's process, 1 its parent, 2 the grandparent, … */
  level: number;
  name: string;
  pid?: string;
  cmdline?: string;
  exepath?: string;
}

/** Levels read beyond the parent: Falco's `proc.aname[n]` goes up to any n; outputs rarely pass 7. */
const MAX_LEVEL = 16;

function text(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const s = v.trim();
    return s && s !== '<NA>' ? s : undefined;
  }
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

/**
 * The process tree an alert's output fields describe, the alert's process first: `proc.name`,
 * `proc.pid`, `proc.cmdline`, `proc.exepath`; its parent from `proc.pname` / `proc.ppid` /
 * `proc.pcmdline` (or `proc.aname[1]`…); then `proc.aname[n]`, `proc.apid[n]`, `proc.acmdline[n]`.
 * Stops at the first level without a name. Empty when the fields name no process.
 */
export function processTree(fields: Readonly<Record<string, unknown>>): ProcessNode[] {
  const get = (name: string) => (Object.hasOwn(fields, name) ? text(fields[name]) : undefined);
  const level = (n: number): ProcessNode | undefined => {
    const pick = (...names: string[]) => names.map(get).find((v) => v !== undefined);
    const name =
      n === 0
        ? pick('proc.name', 'proc.aname[0]')
        : n === 1
          ? pick('proc.pname', 'proc.aname[1]')
          : pick(`proc.aname[${n}]`);
    if (name === undefined) return undefined;
    const pid =
      n === 0
        ? pick('proc.pid', 'proc.apid[0]')
        : n === 1
          ? pick('proc.ppid', 'proc.apid[1]')
          : pick(`proc.apid[${n}]`);
    const cmdline =
      n === 0
        ? pick('proc.cmdline', 'proc.acmdline[0]')
        : n === 1
          ? pick('proc.pcmdline', 'proc.acmdline[1]')
          : pick(`proc.acmdline[${n}]`);
    const exepath =
      n === 0
        ? pick('proc.exepath', 'proc.aexepath[0]')
        : n === 1
          ? pick('proc.pexepath', 'proc.aexepath[1]')
          : pick(`proc.aexepath[${n}]`);
    return {
      level: n,
      name,
      ...(pid !== undefined ? { pid } : {}),
      ...(cmdline !== undefined ? { cmdline } : {}),
      ...(exepath !== undefined ? { exepath } : {}),
    };
  };
  const out: ProcessNode[] = [];
  for (let n = 0; n <= MAX_LEVEL; n++) {
    const node = level(n);
    if (!node) {
      // A parent missing from the output does not hide the grandparents it named.
      if (n === 1 && get('proc.aname[2]') !== undefined) continue;
      break;
    }
    out.push(node);
  }
  return out;
}
