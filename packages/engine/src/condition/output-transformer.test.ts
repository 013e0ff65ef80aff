import { describe, expect, it } from 'vitest';
import type { FieldDef, SourceDef } from '../fields/types.js';
import { ConditionError } from './errors.js';
import { resolveOutputTransformer } from './output-transformer.js';

const defs: Record<string, FieldDef> = {
  'proc.name': { name: 'proc.name', type: 'CHARBUF', isList: false, description: '' },
  'proc.pid': { name: 'proc.pid', type: 'INT64', isList: false, description: '' },
};
const source: SourceDef = {
  name: 'test',
  fields: Object.values(defs),
  field: (n) => defs[n],
  bind: (n) => ({ def: defs[n]!, extract: (e) => (e as Record<string, string>)[n], mode: 'scalar' }),
};

describe('resolveOutputTransformer', () => {
  it('resolves a transformer prefix and reports its length and inner fields', () => {
    const r = resolveOutputTransformer('toupper(proc.name) ran', source)!;
    expect(r.length).toBe(18);
    expect(r.extract({ 'proc.name': 'bash' })).toBe('BASH');
    expect(r.def.type).toBe('CHARBUF');
    expect(r.innerFields.map((f) => f.text)).toEqual(['proc.name']);
  });

  it('gives len() its UINT64 result type', () => {
    expect(resolveOutputTransformer('len(proc.name)', source)?.def.type).toBe('UINT64');
  });

  it('ignores text that is not a transformer and rejects ill-typed ones', () => {
    expect(resolveOutputTransformer('proc.name', source)).toBeUndefined();
    expect(resolveOutputTransformer('toupper (proc.name)', source)).toBeUndefined();
    expect(() => resolveOutputTransformer('toupper(proc.pid)', source)).toThrow(ConditionError);
  });
});
