/**
 * The syscalls the eBPF backend traces, described once: the bpftrace program generator emits them
 * and the record parser reads them back by the same field names, so the two cannot drift apart.
 *
 * Every event is emitted from the syscall's exit (as Falco's exit events carry the enter
 * parameters too), in one header record followed by `nstr` string records of the same thread:
 *
 *   header: TYPE \x1f NSTR \x1f ts \x1f cpu \x1f pid \x1f tid \x1f ppid \x1f euid \x1f egid \x1f ret
 *           \x1f <ints...> \x1f comm
 *   string: S \x1f tid \x1f <text to end of record>
 *
 * Free text (comm, paths) is always the last field of its record, so a separator or newline inside
 * it cannot shift other fields; bpftrace's `-f json` escapes every record as a JSON string.
 */

/** One integer-like field of a header (printed by bpftrace with `%lld` or as an IP text). */
export interface IntField {
  name: string;
  /** bpftrace expression; `$pN` are the values saved at syscall entry. */
  expr: string;
  /** printf conversion (default `%lld`). `%s` is only for `ntop()` output, which has no separator. */
  fmt?: '%lld' | '%s';
}

/** A string record following the header. */
export interface StrField {
  name: string;
  expr: string;
  /** `%s` for C strings; `%rx` for a hex-escaped buffer (argv: NUL-separated, any bytes). */
  fmt?: '%s' | '%rx';
}

/** A plainly described syscall (one header layout, fixed strings). */
export interface SimpleSyscallSpec {
  kind: 'simple';
  /** Tracepoint name; also Falco's `evt.type`. */
  name: string;
  /** Entry arguments saved for the exit probe, in `$p0..`. */
  save: string[];
  ints: IntField[];
  strs: StrField[];
}

/** Syscalls whose exit needs branches (socket families, exec); the generator has code for each. */
export interface CustomSyscallSpec {
  kind: 'custom';
  name: string;
  save: string[];
  /** Header int fields in order (the union across branches; every branch prints them all). */
  ints: string[];
  /** String record names, in order (branches may print fewer; NSTR says how many). */
  strs: string[];
}

export type SyscallSpec = SimpleSyscallSpec | CustomSyscallSpec;

/** Fields every header carries after TYPE and NSTR, before the per-type ints. */
export const COMMON_FIELDS = ['ts', 'cpu', 'pid', 'tid', 'ppid', 'euid', 'egid', 'ret'] as const;

const i = (name: string, expr: string): IntField => ({ name, expr });
const s = (name: string, expr: string): StrField => ({ name, expr });

const SOCKET_INTS = ['fd', 'family', 'proto', 'sport', 'cport', 'sip', 'cip'];
/** dup family: the duplicated fd plus, when it is an IP socket, its local and remote endpoints. */
const DUP_INTS = ['oldfd', 'newfd', 'flags', 'family', 'proto', 'lport', 'rport', 'lip', 'rip'];
/**
 * Datagrams (sendto, sendmsg, recvfrom, recvmsg on IP sockets other than TCP): the size, whether
 * the socket is connected, and the endpoints as libsinsp's tuples have them (sent: the local side
 * is the client; received: the local side is the server).
 */
const DGRAM_INTS = ['fd', 'size', 'family', 'proto', 'sport', 'cport', 'connected', 'sip', 'cip'];
/** exec: the new image's tty, login uid, argv and environment lengths, and whether it runs from a memfd. */
const EXEC_INTS = ['ttyIndex', 'ttyMajor', 'ttyMinor', 'loginuid', 'argLen', 'envLen', 'exeMemfd'];
/** prctl options whose arg2 is a name (PR_SET_NAME, PR_GET_NAME) or an int pointer (PR_GET_CHILD_SUBREAPER). */
const PRCTL_NAME = '((int32)$p0 == 15 || (int32)$p0 == 16)';
const PRCTL_INT_POINTER = '(int32)$p0 == 37';

/** Everything the eBPF backend traces, in the order the program lists them. */
export const SYSCALL_SPECS: readonly SyscallSpec[] = [
  {
    kind: 'simple',
    name: 'open',
    save: ['args->filename', 'args->flags', 'args->mode'],
    ints: [i('flags', '$p1'), i('mode', '$p2')],
    strs: [s('name', 'str($p0)')],
  },
  {
    kind: 'simple',
    name: 'openat',
    save: ['args->dfd', 'args->filename', 'args->flags', 'args->mode'],
    ints: [i('dirfd', '(int32)$p0'), i('flags', '$p2'), i('mode', '$p3')],
    strs: [s('name', 'str($p1)')],
  },
  {
    kind: 'simple',
    name: 'openat2',
    save: ['args->dfd', 'args->filename', 'args->how'],
    ints: [
      i('dirfd', '(int32)$p0'),
      i('flags', '((struct open_how *)$p2)->flags'),
      i('mode', '((struct open_how *)$p2)->mode'),
      i('resolve', '((struct open_how *)$p2)->resolve'),
    ],
    strs: [s('name', 'str($p1)')],
  },
  {
    kind: 'simple',
    name: 'creat',
    save: ['args->pathname', 'args->mode'],
    ints: [i('mode', '$p1')],
    strs: [s('name', 'str($p0)')],
  },
  {
    kind: 'custom',
    name: 'execve',
    save: ['args->filename'],
    ints: EXEC_INTS,
    strs: ['filename', 'argv', 'env'],
  },
  {
    kind: 'custom',
    name: 'execveat',
    save: ['args->filename', 'args->fd', 'args->flags'],
    ints: [...EXEC_INTS, 'dirfd', 'flags'],
    strs: ['filename', 'argv', 'env'],
  },
  {
    kind: 'custom',
    name: 'connect',
    save: ['args->fd', 'args->uservaddr'],
    ints: SOCKET_INTS,
    strs: ['path'],
  },
  { kind: 'custom', name: 'accept', save: ['args->fd'], ints: SOCKET_INTS, strs: [] },
  { kind: 'custom', name: 'accept4', save: ['args->fd', 'args->flags'], ints: SOCKET_INTS, strs: [] },
  { kind: 'simple', name: 'unlink', save: ['args->pathname'], ints: [], strs: [s('path', 'str($p0)')] },
  {
    kind: 'simple',
    name: 'unlinkat',
    save: ['args->dfd', 'args->pathname', 'args->flag'],
    ints: [i('dirfd', '(int32)$p0'), i('flags', '$p2')],
    strs: [s('name', 'str($p1)')],
  },
  {
    kind: 'simple',
    name: 'rename',
    save: ['args->oldname', 'args->newname'],
    ints: [],
    strs: [s('oldpath', 'str($p0)'), s('newpath', 'str($p1)')],
  },
  {
    kind: 'simple',
    name: 'renameat',
    save: ['args->olddfd', 'args->oldname', 'args->newdfd', 'args->newname'],
    ints: [i('olddirfd', '(int32)$p0'), i('newdirfd', '(int32)$p2')],
    strs: [s('oldpath', 'str($p1)'), s('newpath', 'str($p3)')],
  },
  {
    kind: 'simple',
    name: 'renameat2',
    save: ['args->olddfd', 'args->oldname', 'args->newdfd', 'args->newname', 'args->flags'],
    ints: [i('olddirfd', '(int32)$p0'), i('newdirfd', '(int32)$p2'), i('flags', '$p4')],
    strs: [s('oldpath', 'str($p1)'), s('newpath', 'str($p3)')],
  },
  {
    kind: 'simple',
    name: 'chmod',
    save: ['args->filename', 'args->mode'],
    ints: [i('mode', '$p1')],
    strs: [s('filename', 'str($p0)')],
  },
  {
    kind: 'simple',
    name: 'fchmod',
    save: ['args->fd', 'args->mode'],
    ints: [i('fd', '(int32)$p0'), i('mode', '$p1')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'fchmodat',
    save: ['args->dfd', 'args->filename', 'args->mode'],
    ints: [i('dirfd', '(int32)$p0'), i('mode', '$p2')],
    strs: [s('filename', 'str($p1)')],
  },
  {
    kind: 'simple',
    name: 'chown',
    save: ['args->filename', 'args->user', 'args->group'],
    ints: [i('uid', '(int32)$p1'), i('gid', '(int32)$p2')],
    strs: [s('path', 'str($p0)')],
  },
  {
    kind: 'simple',
    name: 'lchown',
    save: ['args->filename', 'args->user', 'args->group'],
    ints: [i('uid', '(int32)$p1'), i('gid', '(int32)$p2')],
    strs: [s('path', 'str($p0)')],
  },
  {
    kind: 'simple',
    name: 'fchown',
    save: ['args->fd', 'args->user', 'args->group'],
    ints: [i('fd', '(int32)$p0'), i('uid', '(int32)$p1'), i('gid', '(int32)$p2')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'fchownat',
    save: ['args->dfd', 'args->filename', 'args->user', 'args->group', 'args->flag'],
    ints: [i('dirfd', '(int32)$p0'), i('uid', '(int32)$p2'), i('gid', '(int32)$p3'), i('flags', '$p4')],
    strs: [s('pathname', 'str($p1)')],
  },
  { kind: 'simple', name: 'setuid', save: ['args->uid'], ints: [i('uid', '(int32)$p0')], strs: [] },
  { kind: 'simple', name: 'setgid', save: ['args->gid'], ints: [i('gid', '(int32)$p0')], strs: [] },
  {
    kind: 'simple',
    name: 'setreuid',
    save: ['args->ruid', 'args->euid'],
    ints: [i('ruid', '(int32)$p0'), i('euid', '(int32)$p1')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'setregid',
    save: ['args->rgid', 'args->egid'],
    ints: [i('rgid', '(int32)$p0'), i('egid', '(int32)$p1')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'setresuid',
    save: ['args->ruid', 'args->euid', 'args->suid'],
    ints: [i('ruid', '(int32)$p0'), i('euid', '(int32)$p1'), i('suid', '(int32)$p2')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'setresgid',
    save: ['args->rgid', 'args->egid', 'args->sgid'],
    ints: [i('rgid', '(int32)$p0'), i('egid', '(int32)$p1'), i('sgid', '(int32)$p2')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'ptrace',
    save: ['args->request', 'args->pid', 'args->addr', 'args->data'],
    ints: [i('request', '$p0'), i('targetPid', '(int32)$p1'), i('addr', '$p2'), i('data', '$p3')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'symlink',
    save: ['args->oldname', 'args->newname'],
    ints: [],
    strs: [s('target', 'str($p0)'), s('linkpath', 'str($p1)')],
  },
  {
    kind: 'simple',
    name: 'symlinkat',
    save: ['args->oldname', 'args->newdfd', 'args->newname'],
    ints: [i('linkdirfd', '(int32)$p1')],
    strs: [s('target', 'str($p0)'), s('linkpath', 'str($p2)')],
  },
  {
    kind: 'simple',
    name: 'link',
    save: ['args->oldname', 'args->newname'],
    ints: [],
    strs: [s('oldpath', 'str($p0)'), s('newpath', 'str($p1)')],
  },
  {
    kind: 'simple',
    name: 'linkat',
    save: ['args->olddfd', 'args->oldname', 'args->newdfd', 'args->newname', 'args->flags'],
    ints: [i('olddir', '(int32)$p0'), i('newdir', '(int32)$p2'), i('flags', '$p4')],
    strs: [s('oldpath', 'str($p1)'), s('newpath', 'str($p3)')],
  },
  {
    kind: 'simple',
    name: 'mkdir',
    save: ['args->pathname', 'args->mode'],
    ints: [i('mode', '$p1')],
    strs: [s('path', 'str($p0)')],
  },
  {
    kind: 'simple',
    name: 'mkdirat',
    save: ['args->dfd', 'args->pathname', 'args->mode'],
    ints: [i('dirfd', '(int32)$p0'), i('mode', '$p2')],
    strs: [s('path', 'str($p1)')],
  },
  { kind: 'simple', name: 'rmdir', save: ['args->pathname'], ints: [], strs: [s('path', 'str($p0)')] },
  // The working directory: the process table follows it (Enricher), so relative paths of a process
  // gone before enrichment resolve against the directory it changed to.
  { kind: 'simple', name: 'chdir', save: ['args->filename'], ints: [], strs: [s('path', 'str($p0)')] },
  { kind: 'simple', name: 'fchdir', save: ['args->fd'], ints: [i('fd', '(int32)$p0')], strs: [] },
  {
    kind: 'simple',
    name: 'socket',
    save: ['args->family', 'args->type', 'args->protocol'],
    ints: [i('domain', '(int32)$p0'), i('type', '(int32)$p1'), i('proto', '(int32)$p2')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'memfd_create',
    save: ['args->uname', 'args->flags'],
    ints: [i('flags', '$p1')],
    strs: [s('name', 'str($p0)')],
  },
  {
    kind: 'simple',
    name: 'init_module',
    save: ['args->len', 'args->uargs'],
    ints: [i('length', '$p0')],
    strs: [s('uargs', 'str($p1)')],
  },
  {
    kind: 'simple',
    name: 'finit_module',
    save: ['args->fd', 'args->uargs', 'args->flags'],
    ints: [i('fd', '(int32)$p0'), i('flags', '$p2')],
    strs: [s('uargs', 'str($p1)')],
  },
  { kind: 'custom', name: 'dup', save: ['args->fildes'], ints: DUP_INTS, strs: [] },
  { kind: 'custom', name: 'dup2', save: ['args->oldfd', 'args->newfd'], ints: DUP_INTS, strs: [] },
  {
    kind: 'custom',
    name: 'dup3',
    save: ['args->oldfd', 'args->newfd', 'args->flags'],
    ints: DUP_INTS,
    strs: [],
  },
  {
    kind: 'simple',
    name: 'mount',
    save: ['args->dev_name', 'args->dir_name', 'args->type', 'args->flags'],
    ints: [i('flags', '$p3')],
    strs: [s('dev', 'str($p0)'), s('dir', 'str($p1)'), s('type', 'str($p2)')],
  },
  {
    kind: 'simple',
    name: 'setns',
    save: ['args->fd', 'args->flags'],
    ints: [i('fd', '(int32)$p0'), i('nstype', '(int32)$p1')],
    strs: [],
  },
  { kind: 'simple', name: 'unshare', save: ['args->unshare_flags'], ints: [i('flags', '$p0')], strs: [] },
  { kind: 'simple', name: 'userfaultfd', save: ['args->flags'], ints: [i('flags', '(int32)$p0')], strs: [] },
  { kind: 'simple', name: 'bpf', save: ['args->cmd'], ints: [i('cmd', '(int32)$p0')], strs: [] },
  {
    kind: 'simple',
    name: 'kill',
    save: ['args->pid', 'args->sig'],
    ints: [i('targetPid', '(int32)$p0'), i('sig', '(int32)$p1')],
    strs: [],
  },
  {
    kind: 'simple',
    name: 'prctl',
    save: ['args->option', 'args->arg2'],
    ints: [
      i('option', '(int32)$p0'),
      i('arg2', `${PRCTL_INT_POINTER} ? (int64)*(int32 *)uptr($p1) : (${PRCTL_NAME} ? 0 : (int64)$p1)`),
    ],
    strs: [s('arg2str', `${PRCTL_NAME} ? str($p1) : ""`)],
  },
  {
    kind: 'custom',
    name: 'listen',
    save: ['args->fd', 'args->backlog'],
    ints: ['fd', 'backlog', 'family', 'proto', 'sport', 'sip'],
    strs: [],
  },
  {
    kind: 'custom',
    name: 'sendto',
    save: ['args->fd', 'args->len', 'args->addr'],
    ints: DGRAM_INTS,
    strs: [],
  },
  { kind: 'custom', name: 'sendmsg', save: ['args->fd', 'args->msg'], ints: DGRAM_INTS, strs: [] },
  {
    kind: 'custom',
    name: 'recvfrom',
    save: ['args->fd', 'args->size', 'args->addr'],
    ints: DGRAM_INTS,
    strs: [],
  },
  { kind: 'custom', name: 'recvmsg', save: ['args->fd', 'args->msg'], ints: DGRAM_INTS, strs: [] },
];

/** `procexit` comes from `sched:sched_process_exit`, not a syscall tracepoint. */
export const PROCEXIT_INTS = ['status'] as const;

/** Header int field names per event type, for the parser. */
export function headerLayout(): Map<string, { ints: string[]; strs: string[] }> {
  const layout = new Map<string, { ints: string[]; strs: string[] }>();
  for (const spec of SYSCALL_SPECS) {
    layout.set(spec.name, {
      ints: spec.kind === 'simple' ? spec.ints.map((f) => f.name) : [...spec.ints],
      strs: spec.kind === 'simple' ? spec.strs.map((f) => f.name) : [...spec.strs],
    });
  }
  layout.set('procexit', { ints: [...PROCEXIT_INTS], strs: [] });
  return layout;
}

/**
 * Syscalls every capture traces whatever the rules ask for: the process table follows them (the
 * image at exec, the working directory at chdir), so events of a process gone before enrichment
 * still get its image and resolve its relative paths.
 */
export const PROCESS_TABLE_SYSCALLS: readonly string[] = ['execve', 'execveat', 'chdir', 'fchdir'];
