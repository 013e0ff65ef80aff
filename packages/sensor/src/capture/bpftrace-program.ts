import { type CustomSyscallSpec, SYSCALL_SPECS, type SimpleSyscallSpec } from './syscall-specs.js';

/**
 * Generates the bpftrace program for the eBPF backend from SYSCALL_SPECS.
 *
 * Layout decisions, each forced by bpftrace 0.17 / the BPF verifier:
 * - entry arguments are saved per thread in `@pN[tid]` (as u64) and read back at exit, because the
 *   exit tracepoint only has `ret`; user pointers are still valid at exit for everything but exec;
 * - exec state is keyed by pid, not tid: a non-leader thread that execs comes back as the leader;
 * - a successful exec's argv is read from the *new* mm (`arg_start..arg_end`, NUL-separated) and
 *   its filename from just above `env_end`, where the kernel copies it (the old memory is gone);
 * - each string record is printed by its own probe on the same tracepoint (probes on one
 *   tracepoint run in order on the same CPU), because a 200-byte string plus a header exceeds the
 *   512-byte BPF stack;
 * - the maps are deleted at exit and on thread exit so they do not fill up with dead threads.
 */

const COMMON_FMT = '%llu\\x1f%d\\x1f%d\\x1f%d\\x1f%d\\x1f%d\\x1f%d\\x1f%lld';
const COMMON_ARGS =
  'nsecs, cpu, pid, tid, curtask->real_parent->tgid, curtask->cred->euid.val, curtask->cred->egid.val, args->ret';

function header(name: string, nstr: number | string, fmts: string[], exprs: string[]): string {
  const fmt = [name, String(nstr), COMMON_FMT, ...fmts, '%s'].join('\\x1f');
  return `printf("${fmt}\\n", ${[COMMON_ARGS, ...exprs, 'comm'].join(', ')});`;
}

function loads(count: number): string {
  return Array.from({ length: count }, (_, n) => `$p${n} = @p${n}[tid];`).join(' ');
}

/**
 * Entry probes skip bpftrace itself (`@self`, set in BEGIN, which runs in bpftrace's own context)
 * and the sensor: the sensor's own spool and /proc reads would otherwise feed back into capture.
 */
const NOT_SELF = '/pid != @self[0] && pid != @sensor[0]/';

function enterProbe(name: string, code: number, save: string[]): string {
  const stores = save.map((expr, n) => `@p${n}[tid] = (uint64)${expr};`).join(' ');
  return `tracepoint:syscalls:sys_enter_${name} ${NOT_SELF} { @nr[tid] = ${code}; ${stores} }`;
}

function cleanupProbe(name: string, code: number, saved: number): string {
  const deletes = Array.from({ length: saved }, (_, n) => `delete(@p${n}[tid]);`).join(' ');
  return `tracepoint:syscalls:sys_exit_${name} /@nr[tid] == ${code}/ { delete(@nr[tid]); ${deletes} }`;
}

function simple(spec: SimpleSyscallSpec, code: number): string[] {
  const guard = `/@nr[tid] == ${code}/`;
  const exit = `tracepoint:syscalls:sys_exit_${spec.name} ${guard}`;
  const probes = [enterProbe(spec.name, code, spec.save)];
  probes.push(
    `${exit} { ${loads(spec.save.length)} ${header(
      spec.name,
      spec.strs.length,
      spec.ints.map((f) => f.fmt ?? '%lld'),
      spec.ints.map((f) => f.expr),
    )} }`,
  );
  for (const str of spec.strs) {
    probes.push(
      `${exit} { ${loads(spec.save.length)} printf("S\\x1f%d\\x1f${str.fmt ?? '%s'}\\n", tid, ${str.expr}); }`,
    );
  }
  probes.push(cleanupProbe(spec.name, code, spec.save.length));
  return probes;
}

/** "memfd:" as the first six bytes of a little-endian u64 (an image run from a memfd has that name). */
const MEMFD_PREFIX = '0x3a64666d656d';

/**
 * Exec: probes on the exit of both exec syscalls, because a successful execveat leaves the kernel
 * through sys_exit_execve on x86-64 (the syscall number the exit tracepoint reads is execve's by
 * then); the guard on the saved state picks the exec this process entered, reported as that type.
 */
function exec(spec: CustomSyscallSpec, code: number, available: ReadonlySet<string> | undefined): string[] {
  const isAt = spec.name === 'execveat';
  const exits = ['execve', 'execveat'].filter(
    (name) => name === spec.name || !available || available.has(name),
  );
  const extraSave = isAt ? ' @xd[pid] = (uint64)args->fd; @xg[pid] = (uint64)args->flags;' : '';
  const extraFmt = isAt ? ['%lld', '%lld'] : [];
  const extraExpr = isAt ? ['(int32)@xd[pid]', '@xg[pid]'] : [];
  const argLen = '$mm = curtask->mm; $len = $mm->arg_end - $mm->arg_start; if ($len > 200) { $len = 200; }';
  const envLen = '$mm = curtask->mm; $el = $mm->env_end - $mm->env_start; if ($el > 200) { $el = 200; }';
  // Decided in the kernel: /proc/PID/exe is gone with a process that exits at once.
  const memfd = `$memfd = args->ret == 0 && (*(uint64 *)curtask->mm->exe_file->f_path.dentry->d_name.name & 0xffffffffffff) == ${MEMFD_PREFIX} ? 1 : 0;`;
  const probes = [
    `tracepoint:syscalls:sys_enter_${spec.name} ${NOT_SELF} { @xn[pid] = ${code}; @xf[pid] = (uint64)args->filename;${extraSave} }`,
  ];
  for (const tracepoint of exits) {
    const exit = `tracepoint:syscalls:sys_exit_${tracepoint} /@xn[pid] == ${code}/`;
    probes.push(
      `${exit} { $t = curtask->signal->tty; ${argLen} $fullEnv = curtask->mm->env_end - curtask->mm->env_start; ${memfd} ${header(
        spec.name,
        3,
        ['%lld', '%lld', '%lld', '%lld', '%lld', '%lld', '%lld', ...extraFmt],
        [
          '$t->index',
          '$t->driver->major',
          '$t->driver->minor_start',
          '(int32)curtask->loginuid.val',
          '$len',
          '$fullEnv',
          '$memfd',
          ...extraExpr,
        ],
      )} }`,
      // After a successful exec the caller's memory is gone; the kernel's copy of the filename
      // sits right after the environment strings of the new stack.
      `${exit} { if (args->ret == 0) { printf("S\\x1f%d\\x1f%s\\n", tid, str(uptr(curtask->mm->env_end))); } else { printf("S\\x1f%d\\x1f%s\\n", tid, str(@xf[pid])); } }`,
      `${exit} { ${argLen} if (args->ret == 0 && $len > 0) { printf("S\\x1f%d\\x1f%rx\\n", tid, buf(uptr($mm->arg_start), $len)); } else { printf("S\\x1f%d\\x1f\\n", tid); } }`,
      `${exit} { ${envLen} if (args->ret == 0 && $el > 0) { printf("S\\x1f%d\\x1f%rx\\n", tid, buf(uptr($mm->env_start), $el)); } else { printf("S\\x1f%d\\x1f\\n", tid); } }`,
      `${exit} { delete(@xn[pid]); delete(@xf[pid]);${isAt ? ' delete(@xd[pid]); delete(@xg[pid]);' : ''} }`,
    );
  }
  return probes;
}

const SOCK_FMT = ['%lld', '%lld', '%lld', '%lld', '%lld', '%s', '%s'];
/** `$f` (struct file *) of fd `$fd`, and whether it is a socket (S_IFSOCK): other files' private_data is no socket. */
const FILE_OF_FD =
  '$f = *(curtask->files->fdt->fd + $fd); $issock = ($f->f_inode->i_mode & 0xf000) == 0xc000;';
const bswap16 = (x: string) => `((${x} & 0xff) << 8 | (${x} >> 8) & 0xff)`;

function connect(spec: CustomSyscallSpec, code: number): string[] {
  const exit = `tracepoint:syscalls:sys_exit_${spec.name} /@nr[tid] == ${code}/`;
  const sk = `${FILE_OF_FD} $sk = ((struct socket *)$f->private_data)->sk;`;
  const common = ['$fd', '$fam', '$sk->sk_protocol'];
  const v4 = header(spec.name, 0, SOCK_FMT, [
    ...common,
    bswap16('$a4->sin_port'),
    '$sk->__sk_common.skc_num',
    'ntop($a4->sin_addr.s_addr)',
    'ntop($sk->__sk_common.skc_rcv_saddr)',
  ]);
  const v6 = header(spec.name, 0, SOCK_FMT, [
    ...common,
    bswap16('$a6->sin6_port'),
    '$sk->__sk_common.skc_num',
    'ntop($a6->sin6_addr.in6_u.u6_addr8)',
    'ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8)',
  ]);
  const unix = header(spec.name, 1, SOCK_FMT, [...common, '0', '0', '""', '""']);
  const other = header(spec.name, 0, SOCK_FMT, [...common, '0', '0', '""', '""']);
  return [
    enterProbe(spec.name, code, spec.save),
    `${exit} { $fd = (int32)@p0[tid]; $sa = (struct sockaddr *)@p1[tid]; $fam = $sa->sa_family; ${sk}
  if ($fam == 2) { $a4 = (struct sockaddr_in *)$sa; ${v4} }
  else if ($fam == 10) { $a6 = (struct sockaddr_in6 *)$sa; ${v6} }
  else if ($fam == 1) { ${unix} }
  else { ${other} } }`,
    `${exit} { $sa = (struct sockaddr *)@p1[tid]; if ($sa->sa_family == 1) { printf("S\\x1f%d\\x1f%s\\n", tid, ((struct sockaddr_un *)$sa)->sun_path); } }`,
    cleanupProbe(spec.name, code, spec.save.length),
  ];
}

function accept(spec: CustomSyscallSpec, code: number): string[] {
  const exit = `tracepoint:syscalls:sys_exit_${spec.name} /@nr[tid] == ${code}/`;
  const common = ['$fd', '$fam', '$sk->sk_protocol'];
  const ports = ['$sk->__sk_common.skc_num', bswap16('$sk->__sk_common.skc_dport')];
  const v4 = header(spec.name, 0, SOCK_FMT, [
    ...common,
    ...ports,
    'ntop($sk->__sk_common.skc_rcv_saddr)',
    'ntop($sk->__sk_common.skc_daddr)',
  ]);
  const v6 = header(spec.name, 0, SOCK_FMT, [
    ...common,
    ...ports,
    'ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8)',
    'ntop($sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8)',
  ]);
  const other = header(spec.name, 0, SOCK_FMT, [...common, '0', '0', '""', '""']);
  return [
    enterProbe(spec.name, code, spec.save),
    `${exit} { $fd = args->ret >= 0 ? args->ret : 0; ${FILE_OF_FD} $sk = ((struct socket *)$f->private_data)->sk; $fam = args->ret >= 0 && $issock ? $sk->__sk_common.skc_family : 0;
  $fd = args->ret;
  if ($fd >= 0 && $fam == 2) { ${v4} }
  else if ($fd >= 0 && $fam == 10) { ${v6} }
  else { ${other} } }`,
    cleanupProbe(spec.name, code, spec.save.length),
  ];
}

function dup(spec: CustomSyscallSpec, code: number): string[] {
  const exit = `tracepoint:syscalls:sys_exit_${spec.name} /@nr[tid] == ${code}/`;
  const fmt = ['%lld', '%lld', '%lld', '%lld', '%lld', '%lld', '%lld', '%s', '%s'];
  const fds = [
    '$fd',
    spec.name === 'dup' ? '-1' : '(int32)@p1[tid]',
    spec.name === 'dup3' ? '@p2[tid]' : '0',
  ];
  const ports = ['$sk->__sk_common.skc_num', bswap16('$sk->__sk_common.skc_dport')];
  const v4 = header(spec.name, 0, fmt, [
    ...fds,
    '$fam',
    '$sk->sk_protocol',
    ...ports,
    'ntop($sk->__sk_common.skc_rcv_saddr)',
    'ntop($sk->__sk_common.skc_daddr)',
  ]);
  const v6 = header(spec.name, 0, fmt, [
    ...fds,
    '$fam',
    '$sk->sk_protocol',
    ...ports,
    'ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8)',
    'ntop($sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8)',
  ]);
  const other = header(spec.name, 0, fmt, [...fds, '$fam', '0', '0', '0', '""', '""']);
  return [
    enterProbe(spec.name, code, spec.save),
    `${exit} { $fd = (int32)@p0[tid]; ${FILE_OF_FD} $sk = ((struct socket *)$f->private_data)->sk; $fam = $issock ? $sk->__sk_common.skc_family : 0;
  if ($fam == 2) { ${v4} }
  else if ($fam == 10) { ${v6} }
  else { ${other} } }`,
    cleanupProbe(spec.name, code, spec.save.length),
  ];
}

function listen(spec: CustomSyscallSpec, code: number): string[] {
  const exit = `tracepoint:syscalls:sys_exit_${spec.name} /@nr[tid] == ${code}/`;
  const fmt = ['%lld', '%lld', '%lld', '%lld', '%lld', '%s'];
  const common = ['$fd', '(int32)@p1[tid]', '$fam'];
  const v4 = header(spec.name, 0, fmt, [
    ...common,
    '$sk->sk_protocol',
    '$sk->__sk_common.skc_num',
    'ntop($sk->__sk_common.skc_rcv_saddr)',
  ]);
  const v6 = header(spec.name, 0, fmt, [
    ...common,
    '$sk->sk_protocol',
    '$sk->__sk_common.skc_num',
    'ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8)',
  ]);
  const other = header(spec.name, 0, fmt, [...common, '0', '0', '""']);
  return [
    enterProbe(spec.name, code, spec.save),
    `${exit} { $fd = (int32)@p0[tid]; ${FILE_OF_FD} $sk = ((struct socket *)$f->private_data)->sk; $fam = $issock ? $sk->__sk_common.skc_family : 0;
  if ($fam == 2) { ${v4} }
  else if ($fam == 10) { ${v6} }
  else { ${other} } }`,
    cleanupProbe(spec.name, code, spec.save.length),
  ];
}

/**
 * sendto/sendmsg/recvfrom/recvmsg, for IP sockets other than TCP only (decided at entry, so a
 * node's TCP and unix-socket traffic costs no map update): see DGRAM_INTS in syscall-specs.ts.
 * The peer is the call's own address when it has one, else the socket's.
 */
function dgram(spec: CustomSyscallSpec, code: number): string[] {
  const inbound = spec.name.startsWith('recv');
  const viaMsg = spec.name.endsWith('msg');
  const exit = `tracepoint:syscalls:sys_exit_${spec.name} /@nr[tid] == ${code}/`;
  const stores = spec.save.map((expr, n) => `@p${n}[tid] = (uint64)${expr};`).join(' ');
  const enter =
    `tracepoint:syscalls:sys_enter_${spec.name} ${NOT_SELF} { $fd = (int32)args->fd; ${FILE_OF_FD} ` +
    `if ($issock) { $sk = ((struct socket *)$f->private_data)->sk; $fam = $sk->__sk_common.skc_family; ` +
    `if (($fam == 2 || $fam == 10) && $sk->sk_protocol != 6) { @nr[tid] = ${code}; ${stores} } } }`;
  // A receive fills the address in only when it succeeds. (`$r` is read first: bpftrace 0.17
  // reading `args->ret` after these branches makes code the verifier refuses.)
  const userAddr = `${viaMsg ? '$ua = (uint64)((struct user_msghdr *)@p1[tid])->msg_name;' : '$ua = @p2[tid];'}${
    inbound ? ' if ($r < 0) { $ua = 0; }' : ''
  }`;
  const size = viaMsg ? '($r > 0 ? $r : 0)' : '@p1[tid]';
  const fmt = ['%lld', '%lld', '%lld', '%lld', '%lld', '%lld', '%lld', '%s', '%s'];
  const localPort = '$sk->__sk_common.skc_num';
  /** The header with the remote endpoint given; ports and addresses placed by direction. */
  const line = (remotePort: string, remoteIp: string, localIp: string) =>
    header(spec.name, 0, fmt, [
      '$fd',
      size,
      '$fam',
      '$sk->sk_protocol',
      inbound ? localPort : remotePort,
      inbound ? remotePort : localPort,
      '$conn',
      inbound ? localIp : remoteIp,
      inbound ? remoteIp : localIp,
    ]);
  const v4Local = 'ntop($sk->__sk_common.skc_rcv_saddr)';
  const v6Local = 'ntop($sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8)';
  const skPort = bswap16('$sk->__sk_common.skc_dport');
  return [
    enter,
    `${exit} { $r = args->ret; $fd = (int32)@p0[tid]; ${FILE_OF_FD} $sk = ((struct socket *)$f->private_data)->sk; $fam = $sk->__sk_common.skc_family; $conn = $sk->__sk_common.skc_state == 1 ? 1 : 0; ${userAddr}
  $uf = $ua != 0 ? ((struct sockaddr *)$ua)->sa_family : 0;
  if ($fam == 2 && $uf == 2) { $a4 = (struct sockaddr_in *)$ua; ${line(bswap16('$a4->sin_port'), 'ntop($a4->sin_addr.s_addr)', v4Local)} }
  else if ($fam == 2) { ${line(skPort, 'ntop($sk->__sk_common.skc_daddr)', v4Local)} }
  else if ($fam == 10 && $uf == 10) { $a6 = (struct sockaddr_in6 *)$ua; ${line(bswap16('$a6->sin6_port'), 'ntop($a6->sin6_addr.in6_u.u6_addr8)', v6Local)} }
  else { ${line(skPort, 'ntop($sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8)', v6Local)} } }`,
    cleanupProbe(spec.name, code, spec.save.length),
  ];
}

/** Options for the generated program. */
export interface ProgramOptions {
  /** Event types to trace; undefined = all. `procexit` is always traced (the process table needs it). */
  eventTypes?: ReadonlySet<string> | undefined;
  /** Syscall tracepoints that exist on this kernel; specs for others are left out. */
  available?: ReadonlySet<string> | undefined;
  /** The sensor's own pid, excluded from capture (bpftrace excludes itself). */
  sensorPid?: number;
}

/** The bpftrace program text for the selected syscalls. */
export function generateBpftraceProgram(options: ProgramOptions = {}): string {
  const out = [
    '// generated by peregrine-sensor: do not edit',
    `BEGIN { @self[0] = pid; @sensor[0] = ${options.sensorPid ?? 0}; printf("READY\\n"); }`,
  ];
  SYSCALL_SPECS.forEach((spec, index) => {
    const code = index + 1;
    if (options.eventTypes && !options.eventTypes.has(spec.name)) return;
    if (options.available && !options.available.has(spec.name)) return;
    if (spec.kind === 'simple') out.push(...simple(spec, code));
    else if (spec.name.startsWith('execve')) out.push(...exec(spec, code, options.available));
    else if (spec.name === 'connect') out.push(...connect(spec, code));
    else if (spec.name.startsWith('dup')) out.push(...dup(spec, code));
    else if (spec.name === 'listen') out.push(...listen(spec, code));
    else if (spec.name.startsWith('send') || spec.name.startsWith('recv')) out.push(...dgram(spec, code));
    else out.push(...accept(spec, code));
  });
  out.push(
    `tracepoint:sched:sched_process_exit /pid == tid && pid != @self[0] && pid != @sensor[0]/ { $r = 0; printf("procexit\\x1f0\\x1f%llu\\x1f%d\\x1f%d\\x1f%d\\x1f%d\\x1f%d\\x1f%d\\x1f%lld\\x1f%lld\\x1f%s\\n", nsecs, cpu, pid, tid, curtask->real_parent->tgid, curtask->cred->euid.val, curtask->cred->egid.val, $r, curtask->exit_code, comm); }`,
  );
  const text = out.join('\n');
  // Exec state is per process: only the leader's exit clears it, because the other threads of a
  // process that execs are killed (and exit) while the exec is still under way.
  const execState = [
    text.includes('@xn[') ? 'delete(@xn[pid]); delete(@xf[pid]);' : '',
    text.includes('@xd[') ? 'delete(@xd[pid]); delete(@xg[pid]);' : '',
  ].join(' ');
  const cleanup = [
    text.includes('@nr[') ? 'delete(@nr[tid]);' : '',
    ...[0, 1, 2, 3, 4].map((n) => (text.includes(`@p${n}[`) ? `delete(@p${n}[tid]);` : '')),
    execState.trim() ? `if (pid == tid) { ${execState} }` : '',
  ].join(' ');
  out.push(`tracepoint:sched:sched_process_exit { ${cleanup} }`);
  return `${out.join('\n')}\n`;
}
