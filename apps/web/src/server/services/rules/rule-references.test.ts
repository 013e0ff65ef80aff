import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_RULE_FILES, load } from '@peregrine/engine';
import { describe, expect, it } from 'vitest';
import { rulesUsing } from './rule-references';

const ENGINE = path.resolve(import.meta.dirname, '../../../../../../packages/engine');
/** Falco's own rules (packages/engine/testdata/falco, copied from falcosecurity/rules for tests). */
const upstream = load(
  [
    {
      name: 'falco_rules.yaml',
      content: readFileSync(path.join(ENGINE, 'testdata/falco/rules/falco_rules.yaml'), 'utf8'),
    },
  ],
  { ruleMatching: 'all' },
);
const defaults = load(
  DEFAULT_RULE_FILES.map((name) => ({
    name,
    content: readFileSync(path.join(ENGINE, 'rules', name), 'utf8'),
  })),
);

/** The definition, spelled out: a word of the rule's condition or of a macro reached from it. */
function naive(
  rules: readonly { name: string; condition: string }[],
  macros: readonly { name: string; condition: string }[],
  name: string,
): string[] {
  const word = (n: string) =>
    new RegExp(`(^|[^\\w.-])${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w.-])`);
  return rules
    .filter((rule) => {
      const seen = new Set<string>();
      const visit = (text: string): boolean => {
        if (word(name).test(text)) return true;
        for (const macro of macros) {
          if (!seen.has(macro.name) && word(macro.name).test(text)) {
            seen.add(macro.name);
            if (visit(macro.condition)) return true;
          }
        }
        return false;
      };
      return visit(rule.condition);
    })
    .map((rule) => rule.name);
}

describe('rulesUsing', () => {
  it.each([
    ['the upstream Falco rules', upstream],
    ['the default rules', defaults],
  ])('names the same rules as the definition for every list and macro of %s', (_, loaded) => {
    const usedBy = rulesUsing(loaded.ruleset.rules, loaded.macros);
    const names = [...loaded.lists.map((l) => l.name), ...loaded.macros.map((m) => m.name)];
    expect(names.length).toBeGreaterThan(20);
    for (const name of names)
      expect(usedBy(name), name).toEqual(naive(loaded.ruleset.rules, loaded.macros, name));
  });

  it('follows macros through macros, and a name with other characters by its whole word', () => {
    const usedBy = rulesUsing(
      [
        { name: 'r1', condition: 'outer and proc.name in (my list)' },
        { name: 'r2', condition: 'fd.name = inner_x' },
      ],
      [
        { name: 'outer', condition: 'inner and evt.type = open' },
        { name: 'inner', condition: 'proc.name in (shells)' },
      ],
    );
    expect(usedBy('shells')).toEqual(['r1']);
    expect(usedBy('inner')).toEqual(['r1']);
    expect(usedBy('my list')).toEqual(['r1']);
    expect(usedBy('inner_x')).toEqual(['r2']);
    expect(usedBy('nothing')).toEqual([]);
  });

  // The Lists & macros page waits for this: the per-name walk it replaces took seconds here.
  it('answers every name of the upstream rules within a page-load budget', () => {
    const started = performance.now();
    const usedBy = rulesUsing(upstream.ruleset.rules, upstream.macros);
    for (const l of upstream.lists) usedBy(l.name);
    for (const m of upstream.macros) usedBy(m.name);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
