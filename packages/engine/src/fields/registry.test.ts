import { describe, expect, it } from 'vitest';
import { createDefaultRegistry, getSource } from './index.js';

describe('default registry', () => {
  const reg = createDefaultRegistry();

  it('lists every source', () => {
    expect(reg.sources.map((s) => s.name)).toEqual([
      'syscall',
      'k8s_audit',
      'github',
      'okta',
      'aws_cloudtrail',
      'gcp_auditlog',
      'json',
    ]);
    expect(reg.getSource('nope')).toBeUndefined();
    expect(() => reg.requireSource('nope')).toThrow('unknown event source nope');
    expect(getSource('syscall')?.name).toBe('syscall');
  });

  it('gives every field a name, type, description, and an argument description when it takes one', () => {
    for (const s of reg.sources) {
      expect(s.description, s.name).toBeTruthy();
      for (const f of s.fields) {
        expect(f.name, `${s.name} ${f.name}`).toMatch(/^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)+$/);
        expect(f.description.length, f.name).toBeGreaterThan(5);
        if (f.arg) expect(f.argDescription, f.name).toBeTruthy();
      }
    }
  });

  it('binds every field of every source without throwing, on structured, flat and empty events', () => {
    const sample = { proc: { pid: 1, name: 'x' }, ts: '1', type: 'open', dir: '<', args: [] };
    for (const s of reg.sources) {
      for (const f of s.fields) {
        const arg = f.arg?.required
          ? f.arg.kind === 'key' && !f.name.startsWith('evt.')
            ? 'x'
            : f.name.startsWith('evt.') && f.arg.kind !== 'index'
              ? 'res'
              : '0'
          : undefined;
        const b = s.bind(f.name, arg);
        expect(b.def.type, f.name).not.toBe('DYN');
        expect(() => b.extract(sample)).not.toThrow();
        expect(() => b.extract({})).not.toThrow();
        expect(() => b.extract(null)).not.toThrow();
      }
    }
  });

  it('hides deprecated aliases from listings unless asked', () => {
    const visible = reg.listFields('k8s_audit').map((f) => f.name);
    expect(visible).not.toContain('ka.req.container.image');
    expect(reg.listFields('k8s_audit', { includeHidden: true }).map((f) => f.name)).toContain(
      'ka.req.container.image',
    );
  });

  it('every cloud source has the json plugin fields and the generic evt fields', () => {
    for (const name of ['k8s_audit', 'github', 'okta', 'aws_cloudtrail', 'gcp_auditlog', 'json']) {
      const s = reg.requireSource(name);
      for (const f of [
        'json.value',
        'jevt.value',
        'jevt.rawtime',
        'evt.time',
        'evt.time.iso8601',
        'evt.rawtime',
        'evt.source',
      ]) {
        expect(s.field(f), `${name} ${f}`).toBeDefined();
      }
    }
  });

  it('syscall event-type API', () => {
    const s = reg.requireSource('syscall');
    expect(s.isKnownEventType?.('execve')).toBe(true);
    expect(s.isKnownEventType?.('some_invalid_event')).toBe(false);
    expect(s.eventTypeCodes?.('open')).toEqual([2, 3]);
    expect(s.eventTypeName?.(3)).toBe('open');
    expect(s.allEventTypeCodes?.length).toBeGreaterThan(100);
    expect(s.eventType?.({ proc: { pid: 1, name: 'a' }, type: 'open', ts: '1', dir: '<', args: [] })).toBe(
      'open',
    );
  });
});
