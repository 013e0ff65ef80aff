/** One leaf that differs between an audit entry's before and after. */
export interface DiffLine {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * The leaves that differ between two JSON values, by path (`config.bucket`, `items`). Objects are
 * walked key by key; arrays and scalars compare as wholes, which reads better for list items
 * (a list override shows old and new lists) than index-by-index noise. Unchanged leaves are left out.
 */
export function diffJson(before: unknown, after: unknown, path = ''): DiffLine[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => {
      const p = join(path, key);
      if (!(key in after)) return [{ path: p, kind: 'removed' as const, before: before[key] }];
      if (!(key in before)) return [{ path: p, kind: 'added' as const, after: after[key] }];
      return diffJson(before[key], after[key], p);
    });
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (before === null || before === undefined) {
    return isPlainObject(after)
      ? diffJson({}, after, path)
      : [{ path: path || '(value)', kind: 'added', after }];
  }
  if (after === null || after === undefined) {
    return isPlainObject(before)
      ? diffJson(before, {}, path)
      : [{ path: path || '(value)', kind: 'removed', before }];
  }
  return [{ path: path || '(value)', kind: 'changed', before, after }];
}

/** A value as one line of text: strings bare, everything else as compact JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value);
}
