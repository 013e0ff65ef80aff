import { get, parseYamlFile } from './yaml.js';

/** The kinds of item a rules file defines by name. */
export type RulesFileItemKind = 'rule' | 'macro' | 'list';

/** One named item of a rules file, with its source text (every entry of the item). */
export interface RulesFileItem {
  kind: RulesFileItemKind;
  name: string;
  /** `kind: name`, as the console lists it. */
  label: string;
  text: string;
}

const KINDS: readonly RulesFileItemKind[] = ['rule', 'macro', 'list'];

/**
 * The rules, macros and lists a rules file defines, in file order, each with its source text.
 * An item defined more than once (a definition and its appends or overrides) is one entry whose
 * text is all of them in order. Other items (`required_engine_version`, ...) are left out; a file
 * that does not parse defines none.
 */
export function rulesFileItems(name: string, content: string): RulesFileItem[] {
  const file = parseYamlFile(name, content);
  if (file.error) return [];
  const items = new Map<string, RulesFileItem>();
  for (const doc of file.documents) {
    if (doc?.kind !== 'seq') continue;
    for (const node of doc.items) {
      if (node.kind !== 'map') continue;
      for (const kind of KINDS) {
        const value = get(node, kind);
        if (value?.kind !== 'scalar') continue;
        const label = `${kind}: ${value.text}`;
        const text = content.slice(node.range.start.offset, node.range.end.offset);
        const seen = items.get(label);
        if (seen) seen.text += `\n${text}`;
        else items.set(label, { kind, name: value.text, label, text });
        break;
      }
    }
  }
  return [...items.values()];
}

/** What changed between two versions of one rules file, by item (`kind: name` labels). */
export interface RulesFileChange {
  added: string[];
  removed: string[];
  changed: string[];
}

/** The items `after` adds, drops and changes against `before` (null: a new file, all added). */
export function compareRulesFiles(name: string, before: string | null, after: string): RulesFileChange {
  const old = new Map((before === null ? [] : rulesFileItems(name, before)).map((i) => [i.label, i.text]));
  const now = rulesFileItems(name, after);
  const labels = new Set(now.map((i) => i.label));
  return {
    added: now.filter((i) => !old.has(i.label)).map((i) => i.label),
    removed: [...old.keys()].filter((label) => !labels.has(label)),
    changed: now.filter((i) => old.has(i.label) && old.get(i.label) !== i.text).map((i) => i.label),
  };
}
