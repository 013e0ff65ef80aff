import { EVENTS } from '../sources/syscall/event-types.js';

/** One parameter of an event schema: its name and libs type (`FD`, `FSPATH`, ... without `PT_`). */
export interface ScapParamSchema {
  readonly name: string;
  readonly type: string;
}

/** What a capture reader knows of an event code. */
export interface ScapEventSchema {
  readonly code: number;
  readonly name: string;
  /** `>` enter (even codes), `<` exit (odd codes). */
  readonly dir: '>' | '<';
  readonly params: readonly ScapParamSchema[];
}

/**
 * The current drivers' parameter lists where they are longer than (or differ from) the syscall
 * source's table, which was taken from libs' 2022 event table: parameters appended since then
 * (`close` got its `fd`, `connect` its `addr`, execve `trusted_exepath`, `pgid`, `gid`,
 * `filename`, ...) and codes past 425. From `../shared/spec/scap-format.md` §14 (libs
 * `driver/event_table.c` at 48dfd53). A reader takes as many parameters as an event carries.
 */
const CURRENT: Readonly<Record<number, string>> = {
  5: 'close|res:ERRNO fd:FD',
  18: 'socket|domain:ENUMFLAGS32 type:UINT32 proto:UINT32',
  19: 'socket|fd:FD domain:ENUMFLAGS32 type:UINT32 proto:UINT32 flags:FLAGS32',
  21: 'bind|res:ERRNO addr:SOCKADDR fd:FD',
  23: 'connect|res:ERRNO tuple:SOCKTUPLE fd:FD addr:SOCKADDR',
  25: 'listen|res:ERRNO fd:FD backlog:INT32',
  42: 'socketpair|domain:ENUMFLAGS32 type:UINT32 proto:UINT32',
  43: 'socketpair|res:ERRNO fd1:FD fd2:FD source:UINT64 peer:UINT64 domain:ENUMFLAGS32 type:UINT32 proto:UINT32',
  59: 'creat|fd:FD name:FSPATH mode:UINT32 dev:UINT32 ino:UINT64 creat_flags:FLAGS16',
  97: 'fchdir|res:ERRNO fd:FD',
  150: 'fcntl|fd:FD cmd:ENUMFLAGS8',
  151: 'fcntl|res:FD fd:FD cmd:ENUMFLAGS8 arg:UINT64',
  168: 'ptrace|request:ENUMFLAGS16 pid:PID',
  169: 'ptrace|res:ERRNO addr:DYN data:DYN request:ENUMFLAGS16 pid:PID',
  193: 'setresuid|res:ERRNO ruid:UID euid:UID suid:UID',
  195: 'setresgid|res:ERRNO rgid:GID egid:GID sgid:GID',
  199: 'setuid|res:ERRNO uid:UID',
  201: 'setgid|res:ERRNO gid:GID',
  241: 'setns|res:ERRNO fd:FD nstype:FLAGS32',
  257: 'mount|res:ERRNO dev:CHARBUF dir:FSPATH type:CHARBUF flags:FLAGS32',
  277: 'mkdir|res:ERRNO path:FSPATH mode:UINT32',
  285: 'unshare|res:ERRNO flags:FLAGS32',
  293:
    'execve|res:ERRNO exe:CHARBUF args:BYTEBUF tid:PID pid:PID ptid:PID cwd:CHARBUF fdlimit:UINT64 ' +
    'pgft_maj:UINT64 pgft_min:UINT64 vm_size:UINT32 vm_rss:UINT32 vm_swap:UINT32 comm:CHARBUF ' +
    'cgroups:BYTEBUF env:BYTEBUF tty:UINT32 vpgid:PID loginuid:UID flags:FLAGS32 cap_inheritable:UINT64 ' +
    'cap_permitted:UINT64 cap_effective:UINT64 exe_ino:UINT64 exe_ino_ctime:ABSTIME exe_ino_mtime:ABSTIME ' +
    'uid:UID trusted_exepath:FSPATH pgid:PID gid:GID filename:FSPATH',
  295: 'setpgid|res:ERRNO pid:PID pgid:PID',
  307: 'openat|fd:FD dirfd:FD name:FSRELPATH flags:FLAGS32 mode:UINT32 dev:UINT32 ino:UINT64',
  327: 'openat2|fd:FD dirfd:FD name:FSRELPATH flags:FLAGS32 mode:UINT32 resolve:FLAGS32 dev:UINT32 ino:UINT64',
  331:
    'execveat|res:ERRNO exe:CHARBUF args:BYTEBUF tid:PID pid:PID ptid:PID cwd:CHARBUF fdlimit:UINT64 ' +
    'pgft_maj:UINT64 pgft_min:UINT64 vm_size:UINT32 vm_rss:UINT32 vm_swap:UINT32 comm:CHARBUF ' +
    'cgroups:BYTEBUF env:BYTEBUF tty:UINT32 vpgid:PID loginuid:UID flags:FLAGS32 cap_inheritable:UINT64 ' +
    'cap_permitted:UINT64 cap_effective:UINT64 exe_ino:UINT64 exe_ino_ctime:ABSTIME exe_ino_mtime:ABSTIME ' +
    'uid:UID trusted_exepath:FSPATH pgid:PID gid:GID',
  337: 'open_by_handle_at|fd:FD mountfd:FD flags:FLAGS32 path:FSPATH dev:UINT32 ino:UINT64',
  369: 'bpf|fd:FD cmd:ENUMFLAGS32',
  389: 'accept4|fd:FD tuple:SOCKTUPLE queuepct:UINT8 queuelen:UINT32 queuemax:UINT32 flags:INT32',
  391: 'umount2|res:ERRNO name:FSPATH flags:FLAGS32',
  407: 'pidfd_getfd|fd:FD pid_fd:FD target_fd:FD flags:UINT32',
  426: 'setreuid|',
  427: 'setreuid|res:ERRNO ruid:UID euid:UID',
  428: 'setregid|',
  429: 'setregid|res:ERRNO rgid:UID egid:UID',
};

function parseParams(text: string): ScapParamSchema[] {
  if (text === '') return [];
  return text.split(' ').map((p) => {
    const i = p.lastIndexOf(':');
    return { name: p.slice(0, i), type: p.slice(i + 1) };
  });
}

function buildTable(): Map<number, ScapEventSchema> {
  const table = new Map<number, ScapEventSchema>();
  for (const e of EVENTS) {
    table.set(e.code, { code: e.code, name: e.name, dir: e.code % 2 === 0 ? '>' : '<', params: e.params });
  }
  for (const [key, row] of Object.entries(CURRENT)) {
    const code = Number(key);
    const bar = row.indexOf('|');
    table.set(code, {
      code,
      name: row.slice(0, bar),
      dir: code % 2 === 0 ? '>' : '<',
      params: parseParams(row.slice(bar + 1)),
    });
  }
  return table;
}

const TABLE = buildTable();

/** The schema of an event code, or undefined for codes this reader does not know. */
export function scapEventSchema(code: number): ScapEventSchema | undefined {
  return TABLE.get(code);
}

/** Codes of every known event named `name` with direction `dir`, newest last. */
export function scapEventCodes(name: string, dir: '>' | '<'): number[] {
  const out: number[] = [];
  for (const s of TABLE.values()) if (s.name === name && s.dir === dir) out.push(s.code);
  return out.sort((a, b) => a - b);
}
