import { describe, expect, it } from 'vitest';
import { resolveOutputTransformer } from '../condition/output-transformer.js';
import type { SyscallEvent } from '../events/syscall-event.js';
import { createSyscallSource } from '../sources/syscall/source.js';
import { compileOutput, OutputFormatError, renderOutput, renderOutputFields } from './format.js';
import { type JsonValue, toJson } from './render.js';

const syscall = createSyscallSource();

const event: SyscallEvent = {
  ts: '1470327477881781397',
  type: 'openat',
  dir: '<',
  res: 3,
  args: [
    ['fd', '3'],
    ['name', '/dev/null'],
    ['flags', 'O_RDONLY'],
  ],
  proc: {
    pid: 42,
    name: 'cat',
    exe: 'cat',
    args: ['/dev/null'],
    user: 'root',
    uid: 0,
    ancestors: [{ pid: 1, name: 'bash' }],
  },
  fd: { num: 3, type: 'file', name: '/dev/null' },
};

function render(format: string): string {
  return renderOutput(compileOutput(format, syscall, resolveOutputTransformer), event);
}

function fields(format: string): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  renderOutputFields(compileOutput(format, syscall, resolveOutputTransformer), event, out);
  return out;
}

describe('output formatting', () => {
  it('renders fields and keeps literal text, including parentheses around tokens', () => {
    expect(render('An open was seen (command=%proc.cmdline)')).toBe(
      'An open was seen (command=cat /dev/null)',
    );
  });

  it('takes the longest field prefix', () => {
    expect(render('%proc.name,%fd.name:x')).toBe('cat,/dev/null:x');
    expect(render('%proc.namexyz')).toBe('catxyz');
    expect(render('%evt.arg.flags')).toBe('O_RDONLY');
    expect(render('%proc.aname[1]')).toBe('bash');
  });

  it('pads and truncates to %N widths', () => {
    expect(render('[%5proc.name]')).toBe('[cat  ]');
    expect(render('[%2proc.name]')).toBe('[ca]');
  });

  it('prints <NA> for missing values and null in output_fields', () => {
    expect(render('port=%fd.cport')).toBe('port=<NA>');
    expect(fields('port=%fd.cport')).toEqual({ 'fd.cport': null });
  });

  it('types output_fields and keys them by expression text', () => {
    expect(fields('%proc.pid %proc.name %fd.num')).toEqual({
      'proc.pid': 42,
      'proc.name': 'cat',
      'fd.num': 3,
    });
  });

  it('keeps 64-bit nanosecond times exact in output_fields', () => {
    // 1470327477881781397 is not a double: Number() would make it ...781376.
    expect(fields('%evt.rawtime')).toEqual({ 'evt.rawtime': 1470327477881781397n });
    expect(toJson(fields('%evt.rawtime'))).toBe('{"evt.rawtime":1470327477881781397}');
  });

  it('renders transformers and keys their inner fields', () => {
    expect(render('%toupper(proc.name)')).toBe('CAT');
    expect(fields('%toupper(proc.name)')).toEqual({ 'proc.name': 'cat' });
  });

  it('accepts %(field) as an extension', () => {
    expect(render('user=%(user.name)')).toBe('user=root');
  });

  it('rejects malformed formats with Falco messages', () => {
    expect(() => compileOutput('x %', syscall)).toThrow('formatting cannot end with a %');
    expect(() => compileOutput('x %12', syscall)).toThrow('formatting cannot end with a number');
    expect(() => compileOutput('x %not_a_real_field', syscall)).toThrow(OutputFormatError);
    expect(() => compileOutput('x %not_a_real_field', syscall)).toThrow(
      'invalid formatting token not_a_real_field',
    );
  });
});
