import { describe, expect, it } from 'vitest';
import type { Extracted, FieldDef, FieldType, MatchMode, SourceDef } from '../fields/types.js';
import { compileCondition } from './compiler.js';
import { ConditionError } from './errors.js';
import { parseCondition } from './parser.js';

interface Spec {
  type: FieldType;
  list?: boolean;
  mode?: MatchMode;
  noRhs?: boolean;
  noTransformer?: boolean;
  dotted?: boolean;
}

/**
 * A source over plain objects keyed by field name (with the argument text for `name[arg]` /
 * `name.arg`), independent of the real field registry.
 */
function source(specs: Record<string, Spec>): SourceDef {
  const defs = new Map<string, FieldDef>();
  for (const [name, s] of Object.entries(specs)) {
    const def: FieldDef = { name, type: s.type, isList: s.list === true, description: name };
    if (s.noRhs) def.noRhs = true;
    if (s.noTransformer) def.noTransformer = true;
    if (s.dotted) def.arg = { kind: 'key', required: true, dotted: true };
    defs.set(name, def);
  }
  return {
    name: 'test',
    fields: [...defs.values()],
    field: (n) => defs.get(n),
    bind(n, arg) {
      const def = defs.get(n);
      if (def === undefined) throw new Error(`unknown ${n}`);
      const key = arg === undefined ? n : `${n}[${arg}]`;
      const extract = (e: unknown): Extracted => (e as Record<string, Extracted>)[key];
      return { def, extract, mode: specs[n]!.mode ?? 'scalar' };
    },
    isKnownEventType: (t) => ['open', 'openat', 'execve', 'connect'].includes(t),
  };
}

const SRC = source({
  'evt.type': { type: 'CHARBUF' },
  'proc.name': { type: 'CHARBUF' },
  'proc.pname': { type: 'CHARBUF' },
  'proc.aname': { type: 'CHARBUF', mode: 'any-ancestor', noRhs: true, noTransformer: true },
  'proc.pid': { type: 'INT64' },
  'evt.num': { type: 'UINT64' },
  'fd.types': { type: 'CHARBUF', list: true, noRhs: true },
  'proc.args': { type: 'CHARBUF', list: true },
  'fd.ip': { type: 'IPADDR', mode: 'either-endpoint', noRhs: true, noTransformer: true },
  'fd.net': { type: 'IPNET', mode: 'either-endpoint', noRhs: true, noTransformer: true },
  'fd.port': { type: 'PORT', mode: 'either-endpoint', noRhs: true },
  'fd.snet': { type: 'IPNET' },
  'fd.sport': { type: 'PORT' },
  'evt.buffer': { type: 'BYTEBUF' },
  'evt.is_io': { type: 'BOOL' },
  'evt.arg': { type: 'CHARBUF', dotted: true },
});

function run(cond: string, event: Record<string, unknown>): boolean {
  return compileCondition(parseCondition(cond), SRC).filter(event);
}

function compileError(cond: string): ConditionError {
  try {
    compileCondition(parseCondition(cond), SRC);
  } catch (e) {
    if (e instanceof ConditionError) return e;
    throw e;
  }
  throw new Error(`expected a compile error for ${cond}`);
}

const ip = (text: string) => {
  const parts = text.split('.').map(Number);
  return { kind: 'ip', family: 4, bytes: new Uint8Array(parts) };
};

describe('missing values (trap 6)', () => {
  it('makes every check false, including != and exists; only not flips', () => {
    const ev = {};
    for (const c of [
      'proc.name = x',
      'proc.name != x',
      'proc.name exists',
      'proc.name in (x)',
      'proc.name contains x',
      'proc.pid < 5',
    ]) {
      expect(run(c, ev), c).toBe(false);
      expect(run(`not ${c}`, ev), c).toBe(true);
    }
  });

  it('treats look-alike strings as real values', () => {
    expect(run('proc.name = <NA>', { 'proc.name': '<NA>' })).toBe(true);
  });
});

describe('operators', () => {
  const ev = { 'proc.name': 'MyExe', 'proc.pid': 42 };

  it('compares text byte-wise and case-insensitively only for icontains/iglob', () => {
    expect(run('proc.name contains Exe', ev)).toBe(true);
    expect(run('proc.name contains exe', ev)).toBe(false);
    expect(run('proc.name icontains EXE', ev)).toBe(true);
    expect(run('proc.name startswith My and proc.name endswith xe', ev)).toBe(true);
    expect(run('proc.name glob "M*e"', ev)).toBe(true);
    expect(run('proc.name iglob "my*"', ev)).toBe(true);
    expect(run('proc.name regex "My.*"', ev)).toBe(true);
    expect(run('proc.name glob oneof (x*, *xe)', ev)).toBe(true);
  });

  it('compares text fields as C strings (up to an embedded NUL)', () => {
    expect(run('proc.name = ab', { 'proc.name': 'ab\0cd' })).toBe(true);
    expect(run('proc.name in (x, ab)', { 'proc.name': 'ab\0cd' })).toBe(true);
    expect(run('proc.name != ab', { 'proc.name': 'ab\0cd' })).toBe(false);
  });

  it('compares integers numerically, including 64-bit values as bigint', () => {
    expect(run('proc.pid > 41 and proc.pid <= 42', ev)).toBe(true);
    expect(run('proc.pid in (01, 7)', ev)).toBe(false);
    expect(run('proc.pid in (042, 7)', ev)).toBe(true);
    expect(run('evt.num = 18446744073709551615', { 'evt.num': 18446744073709551615n })).toBe(true);
    expect(run('evt.num = -1', { 'evt.num': 18446744073709551615n })).toBe(true);
    expect(run('evt.num > 9007199254740993', { 'evt.num': 9007199254740994n })).toBe(true);
    expect(run('evt.num = 5', { 'evt.num': 5n })).toBe(true);
  });

  it('implements modifiers, counting duplicates for oneof and failing on empty lists', () => {
    expect(run('proc.name startswith oneof (My, Your)', ev)).toBe(true);
    expect(run('proc.name startswith oneof (My, MyE)', ev)).toBe(false);
    expect(run('proc.name == oneof (MyExe, MyExe)', ev)).toBe(false);
    expect(run('proc.name != allof (a, b)', ev)).toBe(true);
    expect(run('proc.name != anyof ()', ev)).toBe(false);
  });

  it('decodes hex for bcontains/bstartswith and compares buffers byte-wise', () => {
    const b = { 'evt.buffer': new Uint8Array([0x61, 0, 0x62]) };
    expect(run('evt.buffer bcontains 0062', b)).toBe(true);
    expect(run('evt.buffer bstartswith 6100', b)).toBe(true);
    expect(run('evt.buffer = "a\\x00b"', b)).toBe(true);
    expect(run('evt.buffer contains b', b)).toBe(true);
  });

  it('reads BOOL literals strictly', () => {
    expect(run('evt.is_io = true', { 'evt.is_io': true })).toBe(true);
    expect(compileError('evt.is_io = yes').message).toBe('unrecognized boolean value yes');
  });
});

describe('list fields (trap 11)', () => {
  it('uses subset for in, overlap for intersects, vacuous truth for an empty list', () => {
    const ev = { 'fd.types': ['ipv4', 'file'] };
    expect(run('fd.types in (ipv4, file, pipe)', ev)).toBe(true);
    expect(run('fd.types in (ipv4)', ev)).toBe(false);
    expect(run('fd.types intersects (ipv4)', ev)).toBe(true);
    expect(run('fd.types in (x)', { 'fd.types': [] })).toBe(true);
    expect(run('fd.types intersects (x)', { 'fd.types': [] })).toBe(false);
    expect(compileError('fd.types = file').code).toBe('COMPILE_OPERATOR_NOT_SUPPORTED');
  });
});

describe('special match modes (trap 12)', () => {
  it('tests ancestors from the parent upward for unindexed proc.aname', () => {
    const ev = { 'proc.aname': ['bash', 'bash', 'init'], 'proc.name': 'good-exe' };
    expect(run('proc.aname = init', ev)).toBe(true);
    expect(run('proc.aname = good-exe', ev)).toBe(false);
    expect(run('proc.aname != bash', ev)).toBe(true);
    expect(run('not proc.aname = sshd', ev)).toBe(true);
    expect(run('proc.aname exists', { 'proc.aname': [] })).toBe(false);
  });

  it('ORs both endpoints for = and in, ANDs them for !=', () => {
    const ev = { 'fd.ip': [ip('10.0.0.1'), ip('8.8.8.8')], 'fd.port': [51000, 443] };
    expect(run('fd.ip = 8.8.8.8', ev)).toBe(true);
    expect(run('fd.ip in (1.1.1.1, 10.0.0.1)', ev)).toBe(true);
    expect(run('fd.ip != 8.8.8.8', ev)).toBe(false);
    expect(run('fd.ip != 1.1.1.1', ev)).toBe(true);
    expect(run('fd.port = https and fd.port > 50000', ev)).toBe(true);
  });

  it('tests only the first network of fd.net in (...), but every one for fd.snet', () => {
    const ev = { 'fd.net': [ip('192.168.1.5'), ip('192.168.1.6')], 'fd.snet': ip('192.168.1.6') };
    expect(run('fd.net in (10.0.0.0/8, 192.168.0.0/16)', ev)).toBe(false);
    expect(run('fd.net in (192.168.0.0/16, 10.0.0.0/8)', ev)).toBe(true);
    expect(run('fd.snet in (10.0.0.0/8, 192.168.0.0/16)', ev)).toBe(true);
  });
});

describe('right-hand sides (trap 9)', () => {
  it('treats a bare field name as a string, with a warning', () => {
    const r = compileCondition(parseCondition('proc.name = proc.pname'), SRC);
    expect(r.warnings.map((w) => w.code)).toEqual(['FIELD_AS_STRING']);
    expect(r.filter({ 'proc.name': 'proc.pname', 'proc.pname': 'x' })).toBe(true);
  });

  it('compares against another field with val() and transformers', () => {
    expect(run('proc.name = val(proc.pname)', { 'proc.name': 'a', 'proc.pname': 'a' })).toBe(true);
    expect(run('proc.name = val(proc.pname)', { 'proc.name': 'a' })).toBe(false);
    expect(run('proc.name = toupper(proc.pname)', { 'proc.name': 'AB', 'proc.pname': 'ab' })).toBe(true);
    expect(run('proc.name in val(proc.args)', { 'proc.name': 'file', 'proc.args': ['x', 'file'] })).toBe(
      true,
    );
    expect(run('proc.name in val(proc.args)', { 'proc.name': 'file', 'proc.args': ['x'] })).toBe(false);
  });

  it('rejects field comparisons Falco rejects', () => {
    expect(compileError('proc.name = val(proc.pid)').code).toBe('COMPILE_INCOMPATIBLE_TYPES');
    expect(compileError('proc.name regex val(proc.pname)').code).toBe('COMPILE_UNSUPPORTED_RHS_FIELD');
    expect(compileError('proc.aname = val(proc.name)').code).toBe('COMPILE_UNSUPPORTED_RHS_FIELD');
    expect(compileError('fd.snet = val(fd.snet)').code).toBe('COMPILE_UNSUPPORTED_RHS_FIELD');
  });
});

describe('compile-time validation (trap 10)', () => {
  it('validates evt.type values', () => {
    expect(compileError('evt.type in (open, nope)').message).toBe('unknown event type nope');
    expect(() => compileCondition(parseCondition('evt.type = open'), SRC)).not.toThrow();
  });

  it('rejects NUL bytes except in buffers', () => {
    expect(compileError('proc.name = "a\\x00"').code).toBe('COMPILE_NUL_BYTE');
  });

  it('rejects transformers on flagged fields and wrong types', () => {
    expect(compileError('tolower(proc.aname) = x').message).toBe(
      "field 'proc.aname' does not support transformers",
    );
    expect(compileError('toupper(proc.pid) = 1').message).toBe(
      "can't add field transformer: type 'INT64' is not supported by 'toupper' transformer applied on field 'proc.pid'",
    );
  });

  it('checks transformer arity and argument kinds', () => {
    expect(compileError('tolower("x") = y').code).toBe('COMPILE_TRANSFORMER');
    expect(compileError('tolower(proc.name, proc.pname) = y').code).toBe('COMPILE_TRANSFORMER');
  });

  it('resolves dotted arguments and reports unknown fields', () => {
    expect(run('evt.arg.flags contains O_CREAT', { 'evt.arg[flags]': 'O_RDWR|O_CREAT' })).toBe(true);
    expect(compileError('proc.nobody = x').message).toBe(
      'filter_check called with nonexistent field proc.nobody',
    );
  });

  it('reports unresolved macros', () => {
    expect(compileError('proc.name = a and some_macro').code).toBe('COMPILE_UNDEFINED_MACRO');
  });

  it('points errors at the offending node', () => {
    const e = compileError('proc.name = a and\n  proc.pid = x');
    expect(e.pos).toMatchObject({ line: 2, col: 14 });
    expect(e.range).toEqual({ start: 31, end: 32 });
  });
});
