/**
 * Syscall events for differential tests over the upstream rules (share-work.test.ts,
 * compile-cache.test.ts): generated with a fixed seed from the rules' own vocabulary (list items,
 * literals of their conditions) so that many rules match; every fourth one a flat map of every
 * field the rules read (a replayed event), as the structured event has it.
 */
import { collectFields } from '../../condition/walk.js';
import type { ContainerInfo, FdInfo, ProcessInfo, SyscallEvent } from '../../events/syscall-event.js';
import { createSyscallSource } from '../../sources/syscall/source.js';
import type { CompiledList, CompiledRule } from '../compile.js';
import type { RulesFile } from '../load.js';

/**
 * The files, then each again with every rule renamed (`X (copy)`): twice the rules per event
 * type, for groups larger than V8 optimises as one function (group-eval.ts).
 */
export function withRenamedCopies(files: readonly RulesFile[]): RulesFile[] {
  return [
    ...files,
    ...files.map((f) => ({
      name: `copy-${f.name}`,
      content: f.content.replace(/^- rule: (.*)$/gm, '- rule: $1 (copy)'),
    })),
  ];
}

/** mulberry32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [
  'execve',
  'execveat',
  'openat',
  'openat2',
  'open',
  'creat',
  'connect',
  'accept',
  'accept4',
  'sendto',
  'read',
  'write',
  'close',
  'unlink',
  'unlinkat',
  'rename',
  'renameat2',
  'mkdir',
  'mkdirat',
  'chmod',
  'fchmodat',
  'setuid',
  'setns',
  'ptrace',
  'mount',
  'bpf',
  'memfd_create',
  'init_module',
  'finit_module',
  'symlinkat',
  'linkat',
  'dup2',
  'socket',
  'listen',
  'clone',
  'prctl',
  'userfaultfd',
  'procexit',
  'container',
];
const FLAGS = ['O_RDONLY', 'O_WRONLY|O_CREAT|O_TRUNC', 'O_RDWR', 'O_RDONLY|O_CLOEXEC', 'O_WRONLY|O_APPEND'];
const PATHS = [
  '/etc/shadow',
  '/etc/passwd',
  '/etc/sudoers',
  '/etc/pam.d/common-auth',
  '/root/.ssh/authorized_keys',
  '/home/u/.bash_history',
  '/dev/shm/x',
  '/tmp/x.sh',
  '/proc/self/environ',
  '/proc/1/mem',
  '/var/run/docker.sock',
  '/usr/bin/ls',
  '/bin/sh',
  '/var/lib/dpkg/status',
  '/etc/ld.so.preload',
  '/sys/kernel/debug/x',
  '/boot/vmlinuz',
  '/var/log/auth.log',
  '/lib/modules/x.ko',
  '/etc/kubernetes/admin.conf',
];
const NAMES = ['bash', 'sh', 'python3', 'nc', 'sshd', 'runc', 'docker', 'curl', 'kubectl', 'nginx', 'cat'];

/** `count` events (structured, and every fourth one a flat map) for `rules`, from `seed`. */
export function upstreamEvents(
  rules: readonly CompiledRule[],
  lists: readonly CompiledList[],
  count: number,
  seed = 18,
): (SyscallEvent | Record<string, unknown>)[] {
  // The rules' own vocabulary: every list item and every quoted or bare literal in conditions.
  const words = new Set<string>(NAMES);
  for (const l of lists) for (const i of l.items) words.add(i.replace(/^"|"$/g, ''));
  for (const rule of rules) {
    for (const m of rule.compiledCondition.matchAll(/["']([^"']{1,60})["']|[=(,]\s*([\w./-]{2,60})/g)) {
      words.add(m[1] ?? m[2]!);
    }
  }
  const vocab = [...words];
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const word = () => (rnd() < 0.5 ? pick(vocab) : pick(NAMES));
  const path = () => (rnd() < 0.6 ? pick(PATHS) : rnd() < 0.5 ? `/${word()}` : `/etc/${word()}`);
  const proc = (depth: number): ProcessInfo => {
    const name = word();
    return {
      pid: 100 + Math.floor(rnd() * 1000),
      vpid: rnd() < 0.2 ? 1 : 7,
      name,
      exe: rnd() < 0.8 ? name : path(),
      exepath: rnd() < 0.8 ? `/usr/bin/${name}` : path(),
      args: Array.from({ length: Math.floor(rnd() * 3) }, () => (rnd() < 0.5 ? word() : path())),
      uid: rnd() < 0.5 ? 0 : 1000,
      user: rnd() < 0.5 ? 'root' : word(),
      loginuid: rnd() < 0.5 ? 4294967295 : 1000,
      tty: rnd() < 0.3 ? 34816 : 0,
      cwd: rnd() < 0.5 ? '/' : '/tmp',
      sname: word(),
      env: rnd() < 0.2 ? ['LD_PRELOAD=/tmp/x.so', `HOME=/${word()}`] : [],
      isExeFromMemfd: rnd() < 0.1,
      isExeUpperLayer: rnd() < 0.2,
      isExeWritable: rnd() < 0.2,
      capEffective: rnd() < 0.2 ? 'CAP_SYS_ADMIN CAP_NET_RAW' : '',
      ancestors: depth > 0 ? [proc(depth - 1)] : [],
    };
  };
  const fd = (): FdInfo => {
    const r = rnd();
    if (r < 0.6) {
      const name = path();
      return { num: 3, type: 'file', name, openFlags: pick(FLAGS) };
    }
    if (r < 0.8) {
      const sip = pick(['10.0.0.9', '8.8.8.8', '169.254.169.254', '127.0.0.1', '192.168.1.4']);
      const sport = pick([22, 443, 80, 4444, 6443, 2379, 53]);
      return {
        num: 5,
        type: pick(['ipv4', 'ipv6'] as const),
        l4proto: pick(['tcp', 'udp'] as const),
        cip: '10.0.0.5',
        cport: 40000,
        sip,
        sport,
        name: `10.0.0.5:40000->${sip}:${sport}`,
        isClient: rnd() < 0.7,
      };
    }
    return {
      num: rnd() < 0.5 ? -1 : 7,
      type: pick(['unix', 'pipe', 'memfd', 'event'] as const),
      name: path(),
    };
  };
  const container = (): ContainerInfo | undefined =>
    rnd() < 0.5
      ? undefined
      : {
          id: '8e93d7f8f7aa',
          name: word(),
          image: `docker.io/library/${word()}:1`,
          imageRepository: rnd() < 0.5 ? `docker.io/library/${word()}` : word(),
          imageTag: '1',
          privileged: rnd() < 0.3,
        };
  const event = (n: number): SyscallEvent => {
    const type = pick(TYPES);
    const f = fd();
    const flags = f.openFlags ?? pick(FLAGS);
    const c = container();
    return {
      // Seconds apart now and then: alert times are formatted per second.
      ts: String(1_760_000_000_000_000_000n + BigInt(n) * 7_919_000n + BigInt(Math.floor(rnd() * 1e9))),
      num: n,
      type,
      dir: rnd() < 0.9 ? '<' : '>',
      res: rnd() < 0.8 ? 0 : -2,
      args: [
        ['res', rnd() < 0.8 ? '0' : 'ENOENT'],
        ['fd', String(f.num)],
        ['name', f.name ?? path()],
        ['flags', flags],
        ['path', path()],
        ['target', path()],
        ['request', pick(['PTRACE_ATTACH', 'PTRACE_POKETEXT', 'PTRACE_TRACEME'])],
        ['cmd', pick(['BPF_PROG_LOAD', 'BPF_MAP_CREATE'])],
        ['uid', rnd() < 0.5 ? '0' : '1000'],
      ],
      proc: proc(1 + Math.floor(rnd() * 3)),
      fd: f,
      ...(c === undefined ? {} : { container: c }),
    };
  };

  // Flat maps (replayed events): every field the rules read, as the structured event has it.
  const source = createSyscallSource();
  const fieldNames = new Set<string>();
  for (const rule of rules) {
    for (const f of collectFields(rule.expandedCondition)) {
      if (f.arg === undefined && source.field(f.name) !== undefined) fieldNames.add(f.name);
    }
  }
  const readers = [...fieldNames].map((name) => ({ name, extract: source.bind(name, undefined).extract }));
  const flat = (e: SyscallEvent): Record<string, unknown> => {
    const out: Record<string, unknown> = { 'evt.type': e.type, 'evt.rawtime': e.ts };
    for (const { name, extract } of readers) {
      const v = extract(e);
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[name] = v;
      else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[name] = v;
    }
    return out;
  };

  return Array.from({ length: count }, (_, i) => (i % 4 === 3 ? flat(event(i)) : event(i)));
}
