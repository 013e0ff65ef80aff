import type { ProcessInfo } from '../../events/syscall-event.js';
import type { FieldSpec } from '../../fields/define.js';
import type { Extracted, FieldType, MatchMode } from '../../fields/types.js';
import { normalizeBig, nsDiff, nsToBigInt } from '../../fields/values.js';
import { type Ev, INDEX_OPT, KEY_OPT, plain, withArg } from './common.js';

type P = ProcessInfo;
type PGet = (p: P) => string | number | bigint | boolean | undefined;

function cmdline(p: P): string {
  const args = p.args;
  return args && args.length > 0 ? `${p.name} ${args.join(' ')}` : p.name;
}

function exeline(p: P): string | undefined {
  if (p.exe === undefined) return undefined;
  const args = p.args;
  return args && args.length > 0 ? `${p.exe} ${args.join(' ')}` : p.exe;
}

function parent(e: Ev): P | undefined {
  return e.proc.ancestors?.[0];
}

/** Level n of the process tree: 0 the process itself, 1 its parent, ... */
function level(e: Ev, n: number): P | undefined {
  return n === 0 ? e.proc : e.proc.ancestors?.[n - 1];
}

function envValue(p: P, name: string): string | undefined {
  const env = p.env;
  if (!env) return undefined;
  const prefix = `${name}=`;
  for (const kv of env) if (kv.startsWith(prefix)) return kv.slice(prefix.length);
  return undefined;
}

const ancestorMode = (arg: string | undefined): MatchMode => (arg === undefined ? 'any-ancestor' : 'scalar');

/**
 * `proc.a*` fields: `[n]` selects one level of the tree (0 = self); without an index the
 * extractor returns the values of every ancestor from the parent upward (spec §2.8).
 */
function ancestorField(name: string, type: FieldType, desc: string, get: PGet): FieldSpec {
  return withArg(
    name,
    type,
    desc,
    INDEX_OPT,
    'ancestor level: 0 = the process itself, 1 = parent, 2 = grandparent, ...',
    (arg) => {
      if (arg === undefined) {
        return (e) => {
          const anc = e.proc.ancestors;
          if (!anc || anc.length === 0) return undefined;
          const out: Array<string | number | bigint | boolean> = [];
          for (const a of anc) {
            const v = get(a);
            if (v !== undefined) out.push(v);
          }
          return out;
        };
      }
      const n = Number(arg);
      return (e) => {
        const p = level(e, n);
        return p === undefined ? undefined : get(p);
      };
    },
    { mode: ancestorMode, noTransformer: true, noRhs: true, example: `${name}[2]` },
  );
}

const SHELLS = new Set(['ash', 'bash', 'csh', 'ksh', 'sh', 'tcsh', 'zsh', 'dash', 'fish', 'busybox']);

/** The process group leader inside the process's PID namespace: self or the ancestor whose vpid is vpgid. */
function vpgidLeader(e: Ev): P | undefined {
  const p = e.proc;
  if (p.vpgid === undefined) return undefined;
  if ((p.vpid ?? p.pid) === p.vpgid) return p;
  return p.ancestors?.find((a) => (a.vpid ?? a.pid) === p.vpgid);
}

/** The session leader: self or the ancestor whose pid is sid. */
function sidLeader(e: Ev): P | undefined {
  const p = e.proc;
  if (p.sid === undefined) return undefined;
  if (p.pid === p.sid) return p;
  return p.ancestors?.find((a) => a.pid === p.sid);
}

function durationOf(e: Ev, p: P | undefined): Extracted {
  return p === undefined ? undefined : nsDiff(e.ts, p.startTs);
}

function loginuid(p: P): number | undefined {
  const v = p.loginuid;
  // The kernel's "unset" auid is UINT32_MAX; Falco shows it as -1.
  return v === undefined ? undefined : v === 4294967295 ? -1 : v;
}

export const PROC_FIELDS: FieldSpec[] = [
  plain('proc.pid', 'INT64', 'ID of the process (thread group id).', (e) => e.proc.pid),
  plain('proc.ppid', 'INT64', 'ID of the parent process.', (e) => e.proc.ppid ?? parent(e)?.pid),
  ancestorField('proc.apid', 'INT64', 'PID of an ancestor process.', (p) => p.pid),
  plain(
    'proc.vpid',
    'INT64',
    'PID as seen from the process PID namespace (1 = container init).',
    (e) => e.proc.vpid,
  ),
  plain('proc.pvpid', 'INT64', 'Parent PID as seen from its PID namespace.', (e) => parent(e)?.vpid),
  plain('proc.sid', 'INT64', 'Session ID of the process.', (e) => e.proc.sid),
  plain(
    'proc.sname',
    'CHARBUF',
    'Name of the session leader process.',
    (e) => e.proc.sname ?? sidLeader(e)?.name,
  ),
  plain('proc.sid.exe', 'CHARBUF', 'proc.exe of the session leader.', (e) => sidLeader(e)?.exe),
  plain('proc.sid.exepath', 'CHARBUF', 'proc.exepath of the session leader.', (e) => sidLeader(e)?.exepath),
  plain('proc.is_sid_leader', 'BOOL', 'True if the process leads its session.', (e) =>
    e.proc.sid === undefined ? undefined : e.proc.sid === e.proc.pid,
  ),
  plain('proc.pgid', 'INT64', 'Process group ID.', (e) => e.proc.pgid),
  plain('proc.vpgid', 'INT64', 'Process group ID as seen from the PID namespace.', (e) => e.proc.vpgid),
  plain(
    'proc.vpgid.name',
    'CHARBUF',
    'proc.name of the process group leader (PID-namespace view).',
    (e) => vpgidLeader(e)?.name,
  ),
  plain('proc.vpgid.exe', 'CHARBUF', 'proc.exe of the process group leader.', (e) => vpgidLeader(e)?.exe),
  plain(
    'proc.vpgid.exepath',
    'CHARBUF',
    'proc.exepath of the process group leader.',
    (e) => vpgidLeader(e)?.exepath,
  ),
  plain(
    'proc.is_vpgid_leader',
    'BOOL',
    'True if the process leads its process group (e.g. typed directly in a shell).',
    (e) => {
      const p = e.proc;
      return p.vpgid === undefined ? undefined : (p.vpid ?? p.pid) === p.vpgid;
    },
  ),
  plain(
    'proc.name',
    'CHARBUF',
    'Process name as the kernel reports it (comm, at most 15 characters).',
    (e) => e.proc.name,
  ),
  plain('proc.pname', 'CHARBUF', 'proc.name of the parent.', (e) => parent(e)?.name),
  ancestorField('proc.aname', 'CHARBUF', 'proc.name of an ancestor.', (p) => p.name),
  plain(
    'proc.exe',
    'CHARBUF',
    'argv[0] as passed to exec (may differ from the executable path).',
    (e) => e.proc.exe,
  ),
  plain('proc.pexe', 'CHARBUF', 'proc.exe of the parent.', (e) => parent(e)?.exe),
  ancestorField('proc.aexe', 'CHARBUF', 'proc.exe of an ancestor.', (p) => p.exe),
  plain(
    'proc.exepath',
    'CHARBUF',
    'Absolute path of the executable (symlinks resolved).',
    (e) => e.proc.exepath,
  ),
  plain('proc.pexepath', 'CHARBUF', 'proc.exepath of the parent.', (e) => parent(e)?.exepath),
  ancestorField('proc.aexepath', 'CHARBUF', 'proc.exepath of an ancestor.', (p) => p.exepath),
  withArg(
    'proc.args',
    'CHARBUF',
    'Command-line arguments (argv[1..]) joined by spaces; proc.args[i] selects one (0 = first after argv[0]).',
    INDEX_OPT,
    'argument position, 0 = first argument after argv[0]',
    (arg) => {
      if (arg === undefined) return (e) => (e.proc.args ? e.proc.args.join(' ') : '');
      const i = Number(arg);
      return (e) => e.proc.args?.[i];
    },
  ),
  plain('proc.cmdline', 'CHARBUF', 'proc.name followed by the arguments, space-separated.', (e) =>
    cmdline(e.proc),
  ),
  plain('proc.pcmdline', 'CHARBUF', 'proc.cmdline of the parent.', (e) => {
    const p = parent(e);
    return p === undefined ? undefined : cmdline(p);
  }),
  ancestorField('proc.acmdline', 'CHARBUF', 'proc.cmdline of an ancestor.', cmdline),
  plain('proc.exeline', 'CHARBUF', 'proc.exe followed by the arguments.', (e) => exeline(e.proc)),
  plain('proc.cmdnargs', 'UINT64', 'Number of command-line arguments.', (e) => e.proc.args?.length ?? 0),
  plain(
    'proc.cmdlenargs',
    'UINT64',
    'Total length of the command-line arguments, separators excluded.',
    (e) => {
      let n = 0;
      for (const a of e.proc.args ?? []) n += a.length;
      return n;
    },
  ),
  withArg(
    'proc.env',
    'CHARBUF',
    'Environment as one `K=V K2=V2` string; proc.env[NAME] is the value of one variable.',
    KEY_OPT,
    'environment variable name',
    (arg) => {
      if (arg === undefined) return (e) => (e.proc.env ? e.proc.env.join(' ') : undefined);
      const name = arg;
      return (e) => envValue(e.proc, name);
    },
    { example: 'proc.env[HOME]' },
  ),
  ancestorField('proc.aenv', 'CHARBUF', 'Environment of an ancestor (proc.env of that level).', (p) =>
    p.env ? p.env.join(' ') : undefined,
  ),
  plain('proc.cwd', 'CHARBUF', 'Current working directory (ends with /).', (e) => e.proc.cwd),
  plain('proc.tty', 'UINT32', 'Controlling terminal number; 0 when the process has none.', (e) => e.proc.tty),
  plain('proc.loginshellid', 'INT64', 'PID of the oldest shell among the process and its ancestors.', (e) => {
    let id: number | undefined;
    if (SHELLS.has(e.proc.name)) id = e.proc.pid;
    for (const a of e.proc.ancestors ?? []) if (SHELLS.has(a.name)) id = a.pid;
    return id;
  }),
  plain('proc.duration', 'RELTIME', 'Nanoseconds since the process started.', (e) => durationOf(e, e.proc)),
  plain('proc.ppid.duration', 'RELTIME', 'Nanoseconds since the parent started.', (e) =>
    durationOf(e, parent(e)),
  ),
  plain('proc.pid.ts', 'ABSTIME', 'Start time of the process (epoch ns).', (e) => nsToBigInt(e.proc.startTs)),
  plain('proc.ppid.ts', 'ABSTIME', 'Start time of the parent (epoch ns).', (e) =>
    nsToBigInt(parent(e)?.startTs),
  ),
  plain(
    'proc.is_exe_writable',
    'BOOL',
    'True if the executable file is writable by the process user.',
    (e) => e.proc.isExeWritable,
  ),
  plain(
    'proc.is_exe_upper_layer',
    'BOOL',
    'True if the executable lives in the overlayfs upper (writable) layer.',
    (e) => e.proc.isExeUpperLayer,
  ),
  plain(
    'proc.is_exe_from_memfd',
    'BOOL',
    'True if the process was executed from an anonymous memfd (fileless).',
    (e) => e.proc.isExeFromMemfd,
  ),
  plain('proc.exe_ino.ctime', 'ABSTIME', 'Inode status-change time of the executable (epoch ns).', (e) =>
    nsToBigInt(e.proc.exeInoCtime),
  ),
  plain('proc.exe_ino.mtime', 'ABSTIME', 'Inode modification time of the executable (epoch ns).', (e) =>
    nsToBigInt(e.proc.exeInoMtime),
  ),
  plain(
    'proc.exe_ino.ctime_duration_proc_start',
    'ABSTIME',
    "Nanoseconds between the executable's last inode change and the process start.",
    (e) => nsDiff(e.proc.startTs, e.proc.exeInoCtime),
  ),
  plain(
    'proc.exe_ino.ctime_duration_pidns_start',
    'ABSTIME',
    "Nanoseconds between the PID namespace start (container start) and the executable's last inode change.",
    (e) => nsDiff(e.proc.exeInoCtime, e.container?.startTs),
  ),
  plain(
    'proc.pidns_init_start_ts',
    'UINT64',
    'Start time of the PID namespace init process (epoch ns).',
    (e) => {
      const t = nsToBigInt(e.container?.startTs);
      return t === undefined ? undefined : normalizeBig(t);
    },
  ),
  plain('thread.tid', 'INT64', 'ID of the thread that made the call.', (e) => e.proc.tid ?? e.proc.pid),
  plain('thread.vtid', 'INT64', 'Thread ID as seen from the PID namespace (main thread only).', (e) =>
    (e.proc.tid ?? e.proc.pid) === e.proc.pid ? e.proc.vpid : undefined,
  ),
  plain(
    'thread.ismain',
    'BOOL',
    'True if the thread is the main thread of its process.',
    (e) => (e.proc.tid ?? e.proc.pid) === e.proc.pid,
  ),
  plain(
    'thread.cap_effective',
    'CHARBUF',
    'Effective capabilities as space-separated names (CAP_SYS_ADMIN ...).',
    (e) => e.proc.capEffective,
  ),
  plain(
    'thread.cap_permitted',
    'CHARBUF',
    'Permitted capabilities as space-separated names.',
    (e) => e.proc.capPermitted,
  ),
  plain(
    'thread.cap_inheritable',
    'CHARBUF',
    'Inheritable capabilities as space-separated names.',
    (e) => e.proc.capInheritable,
  ),
  plain(
    'thread.cpu',
    'DOUBLE',
    'CPU consumed by the thread; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain(
    'thread.cpu.user',
    'DOUBLE',
    'User CPU consumed by the thread; not reported (missing).',
    () => undefined,
  ),
  plain(
    'thread.cpu.system',
    'DOUBLE',
    'System CPU consumed by the thread; not reported (missing).',
    () => undefined,
  ),
  plain('user.uid', 'UINT32', 'Effective user ID.', (e) => e.proc.uid),
  plain('user.name', 'CHARBUF', 'Name of the effective user (container-aware).', (e) => e.proc.user),
  plain('user.loginuid', 'INT64', 'Audit login user ID (auid); -1 when unset.', (e) => loginuid(e.proc)),
  plain('user.loginname', 'CHARBUF', 'Name of the audit login user.', (e) => e.proc.loginname),
  plain(
    'user.homedir',
    'CHARBUF',
    'Home directory of the user; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain(
    'user.shell',
    'CHARBUF',
    'Login shell of the user; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain('group.gid', 'UINT32', 'Effective group ID.', (e) => e.proc.gid),
  plain('group.name', 'CHARBUF', 'Name of the effective group.', (e) => e.proc.group),
];
