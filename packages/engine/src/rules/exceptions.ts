/** Exception validation at definition time (spec §1.9 "Defaults & validation"). */
import type { SourceDef } from '../fields/types.js';
import { RuleLoadError } from './diagnostics.js';
import type { ExceptionEntry, ExceptionInfo } from './model.js';

const STRING_OPS = [
  '==',
  '=',
  '!=',
  'contains',
  'icontains',
  'bcontains',
  'startswith',
  'bstartswith',
  'endswith',
  'glob',
  'iglob',
  'regex',
];
const SUPPORTED = new Set([...STRING_OPS, '<=', '<', '>=', '>', 'in', 'intersects', 'pmatch', 'exists']);
const MODIFIERS = new Set(['oneof', 'anyof', 'allof']);

function isModifierComp(c: string): boolean {
  const parts = c.split(/[ \t\r\n]+/);
  return parts.length === 2 && STRING_OPS.includes(parts[0]!) && MODIFIERS.has(parts[1]!);
}

/** True when `comp` is an operator an exception may use (plain or string-op + modifier). */
export function isSupportedComp(comp: string): boolean {
  const c = comp.trim();
  return SUPPORTED.has(c) || isModifierComp(c);
}

function fail(message: string, ex: ExceptionInfo): never {
  throw new RuleLoadError('LOAD_ERR_VALIDATE', message, ex.ctx);
}

function scalarText(e: ExceptionEntry): string {
  return e.isList ? '' : e.item;
}

/**
 * Validate one exception for a rule of `source` and fill its default comps. `isValidField`
 * decides whether a text is a valid left-hand side (field or transformer expression).
 */
export function validateException(
  _source: SourceDef,
  ex: ExceptionInfo,
  isValidField: (text: string) => boolean,
): void {
  if (ex.fields.isList) {
    if (!ex.comps.defined) {
      ex.comps = {
        isList: true,
        defined: true,
        items: ex.fields.items.map(() => ({ isList: false, item: '=', defined: true })),
      };
    }
    if (!ex.comps.isList || ex.comps.items.length !== ex.fields.items.length) {
      fail('Fields and comps lists must have equal length', ex);
    }
    for (const c of ex.comps.items) {
      const comp = scalarText(c);
      if (!isSupportedComp(comp)) fail(`'${comp}' is not a supported comparison operator`, ex);
    }
    for (const f of ex.fields.items) {
      const field = scalarText(f);
      if (!isValidField(field)) fail(`'${field}' is not a supported filter field`, ex);
    }
    return;
  }
  if (!ex.comps.defined) ex.comps = { isList: false, item: 'in', defined: true };
  if (ex.comps.isList) fail('Fields and comps must both be strings', ex);
  const comp = ex.comps.item.trim();
  if (!(comp === 'in' || comp === 'pmatch' || comp === 'intersects' || isModifierComp(comp))) {
    fail(
      'When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)',
      ex,
    );
  }
  if (!isValidField(ex.fields.item)) fail(`'${ex.fields.item}' is not a supported filter field`, ex);
}
