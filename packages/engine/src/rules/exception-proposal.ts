/**
 * Exceptions proposed from an alert: the fields a triager picks from the alert's output fields,
 * each with a comparison and a value, become one Falco `exceptions:` item appended to the rule
 * (plain Falco YAML that loads in Falco), and a matcher that tells which stored alerts the
 * exception would have suppressed. The matcher compiles the same condition text Falco builds from
 * an exception (`exceptionClause`), so the preview and the rule agree.
 */
import { stringify } from 'yaml';
import { Context } from './diagnostics.js';
import { load } from './load.js';
import type { ExceptionEntry } from './model.js';
import { exceptionClause, isListComp } from './text-subst.js';

/** Comparisons an exception item may use (Falco's `comps`). */
export const EXCEPTION_COMPS = [
  '=',
  '!=',
  'in',
  'startswith',
  'endswith',
  'contains',
  'icontains',
  'glob',
  'pmatch',
  '<',
  '<=',
  '>',
  '>=',
] as const;
export type ExceptionComp = (typeof EXCEPTION_COMPS)[number];

export interface ExceptionProposal {
  /** The rule the exception is appended to. */
  rule: string;
  /** Falco exception name (letters, digits and `_`). */
  name: string;
  /** One condition per field; the exception suppresses events matching all of them. */
  items: { field: string; comp: ExceptionComp; value: string | readonly string[] }[];
}

export type ExceptionCheck =
  | { ok: true; yaml: string; condition: string; matches: (fields: Record<string, unknown>) => boolean }
  | { ok: false; error: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Falco inserts exception values into the condition text, quoting only those with a space:
// these characters would change the condition's meaning, so they are refused with a reason.
const UNSAFE = /["'(),]|\s$|^\s/;

function entry(item: string): ExceptionEntry {
  return { isList: false, item, defined: true };
}

/**
 * Validates the proposal, renders its Falco YAML and compiles its matcher for `source` (the
 * rule's source). Field names and values are checked by compiling, as Falco would.
 */
export function proposeException(proposal: ExceptionProposal, source: string): ExceptionCheck {
  if (!NAME.test(proposal.name)) {
    return {
      ok: false,
      error: `Exception name '${proposal.name}' must be letters, digits and _ (no spaces).`,
    };
  }
  if (proposal.items.length === 0) return { ok: false, error: 'Pick at least one field.' };
  const seen = new Set<string>();
  for (const it of proposal.items) {
    if (seen.has(it.field)) return { ok: false, error: `Field ${it.field} is picked twice.` };
    seen.add(it.field);
    if (!(EXCEPTION_COMPS as readonly string[]).includes(it.comp)) {
      return { ok: false, error: `'${it.comp}' is not an exception comparison.` };
    }
    const list = isListComp(it.comp);
    if (list !== Array.isArray(it.value)) {
      return {
        ok: false,
        error: list
          ? `${it.field} ${it.comp} takes a list of values.`
          : `${it.field} ${it.comp} takes one value.`,
      };
    }
    const values = typeof it.value === 'string' ? [it.value] : it.value;
    if (values.length === 0) return { ok: false, error: `${it.field} ${it.comp} needs a value.` };
    const bad = values.find((v) => v === '' || UNSAFE.test(v));
    if (bad !== undefined) {
      return {
        ok: false,
        error:
          bad === ''
            ? `${it.field} needs a value.`
            : `The value ${JSON.stringify(bad)} of ${it.field} holds quotes, parentheses, commas or edge spaces, which Falco's exceptions cannot express; compare a part of it (startswith, contains) instead.`,
      };
    }
  }

  const clause = exceptionClause({
    name: proposal.name,
    fields: { isList: true, items: proposal.items.map((i) => entry(i.field)), defined: true },
    comps: { isList: true, items: proposal.items.map((i) => entry(i.comp)), defined: true },
    values: [
      {
        isList: true,
        defined: true,
        items: proposal.items.map((i) =>
          typeof i.value === 'string'
            ? entry(i.value)
            : { isList: true, defined: true, items: i.value.map(entry) },
        ),
      },
    ],
    hasValues: true,
    ctx: Context.file('exception'),
  });

  // The matcher: a rule whose condition is the exception's clause fires exactly on the events
  // the exception would suppress.
  const probe = stringify([
    {
      rule: 'exception preview',
      desc: 'exception preview',
      condition: clause,
      output: 'matched',
      priority: 'INFORMATIONAL',
      source,
    },
  ]);
  const loaded = load([{ name: 'exception.yaml', content: probe }], { ruleMatching: 'first' });
  const error = loaded.diagnostics.find((d) => d.severity === 'error');
  if (!loaded.ok || error) {
    return { ok: false, error: `The exception does not compile: ${error?.message ?? 'unknown error'}` };
  }
  const ruleset = loaded.ruleset;

  const yaml = exceptionYaml(proposal);
  return {
    ok: true,
    yaml,
    condition: clause,
    matches: (fields) => ruleset.evaluate(fields, source).length > 0,
  };
}

/**
 * The proposal as one Falco rules-file item: its rule with the exception and
 * `override: exceptions: append`. Check the proposal with `proposeException` first.
 */
export function exceptionYaml(proposal: ExceptionProposal): string {
  return stringify(
    [
      {
        rule: proposal.rule,
        exceptions: [
          {
            name: proposal.name,
            fields: proposal.items.map((i) => i.field),
            comps: proposal.items.map((i) => i.comp),
            values: [proposal.items.map((i) => (typeof i.value === 'string' ? i.value : [...i.value]))],
          },
        ],
        override: { exceptions: 'append' },
      },
    ],
    { lineWidth: 0 },
  );
}
