/**
 * Which rules use each list and macro, directly or through macros. A name is used where it
 * appears as a whole word (delimited by anything but letters, digits, `_`, `.` and `-`) in a
 * rule's condition or in the condition of a macro the rule uses.
 *
 * Each condition is split into its words once and the macro graph walked once per rule: linear
 * in the size of the rules. (Testing every name against every rule with a fresh regular
 * expression per macro visited took seconds on the upstream Falco rules, and the Lists & macros
 * page waited for it.)
 */
export function rulesUsing(
  rules: readonly { name: string; condition: string }[],
  macros: readonly { name: string; condition: string }[],
): (name: string) => string[] {
  const words = (text: string) => new Set(text.split(/[^\w.-]+/).filter(Boolean));
  const macroWords = new Map(macros.map((m) => [m.name, words(m.condition)]));
  const macroText = new Map(macros.map((m) => [m.name, m.condition]));
  const users = new Map<string, string[]>();
  /** Conditions each rule reaches, for names that are not plain words (rare: a quoted list name). */
  const reached: { rule: string; texts: string[] }[] = [];
  for (const rule of rules) {
    const seen = new Set<string>();
    const texts = [rule.condition];
    const pending = [...words(rule.condition)];
    for (let word = pending.pop(); word !== undefined; word = pending.pop()) {
      if (seen.has(word)) continue;
      seen.add(word);
      const inner = macroWords.get(word);
      if (inner) {
        texts.push(macroText.get(word) ?? '');
        pending.push(...inner);
      }
    }
    for (const word of seen) {
      const list = users.get(word);
      if (list) list.push(rule.name);
      else users.set(word, [rule.name]);
    }
    reached.push({ rule: rule.name, texts });
  }
  return (name) => {
    if (/^[\w.-]+$/.test(name)) return users.get(name) ?? [];
    const re = new RegExp(`(^|[^\\w.-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w.-])`);
    return reached.filter(({ texts }) => texts.some((t) => re.test(t))).map(({ rule }) => rule);
  };
}
