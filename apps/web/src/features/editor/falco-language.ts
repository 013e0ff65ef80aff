import {
  BUILTIN_PLUGINS,
  builtinSources,
  PRIORITIES,
  SYMBOL_OPERATORS,
  WORD_OPERATORS,
} from '@peregrine/engine';

/** The language id the editor registers for Falco rules files. */
export const FALCO_LANGUAGE = 'falco-yaml';

/** Keys of rules-file items (rule, macro, list and their properties). */
export const ITEM_KEYS = [
  'rule',
  'macro',
  'list',
  'desc',
  'condition',
  'output',
  'priority',
  'source',
  'tags',
  'enabled',
  'items',
  'exceptions',
  'override',
  'append',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'required_engine_version',
  'required_plugin_versions',
  'name',
  'fields',
  'comps',
  'values',
] as const;

/** The engine's symbol operators as one alternation, longest first (`<=` before `<`). */
const SYMBOL_OPERATOR_PATTERN = new RegExp(
  `(${[...SYMBOL_OPERATORS]
    .sort((a, b) => b.length - a.length)
    .map((op) => op.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('|')})`,
);

/**
 * Monarch tokenizer: YAML structure, with the condition language highlighted inside `condition:`
 * values (including folded and literal block scalars on the following lines) and `%field`
 * references highlighted in `output:` values.
 */
export const falcoMonarch = {
  defaultToken: '',
  wordOperators: [...WORD_OPERATORS],
  priorities: PRIORITIES.flatMap((p: string) => [p, p.toUpperCase(), p.toLowerCase()]).concat([
    'INFO',
    'info',
  ]),
  tokenizer: {
    root: [
      [/#.*$/, 'comment'],
      [
        /^(\s*-?\s*)(condition)(\s*:)/,
        ['delimiter', 'keyword', { token: 'delimiter', next: '@conditionBlock' }],
      ],
      [/^(\s*-?\s*)(output)(\s*:)/, ['delimiter', 'keyword', { token: 'delimiter', next: '@outputBlock' }]],
      [
        /^(\s*-?\s*)(priority)(\s*:\s*)([A-Za-z]+)/,
        ['delimiter', 'keyword', 'delimiter', 'constant.priority'],
      ],
      [
        /^(\s*-\s*)(rule|macro|list)(\s*:\s*)(.*)$/,
        ['delimiter', 'keyword.item', 'delimiter', 'entity.name'],
      ],
      [/^(\s*-?\s*)([\w-]+)(\s*:)/, ['delimiter', 'keyword', 'delimiter']],
      [/"([^"\\]|\\.)*"/, 'string'],
      [/'([^']|'')*'/, 'string'],
      [/\b(true|false|yes|no)\b/, 'constant'],
      [/-?\d+(\.\d+)?\b/, 'number'],
      [/[[\]{},]/, 'delimiter.bracket'],
    ],
    // The rest of the `condition:` line and its continuation lines (folded/literal block
    // scalars), until the next key or item. `^` rules only match at a line start, so they never
    // end the condition on its own first line.
    conditionBlock: [
      [/^\s*-?\s*[\w-]+\s*:(\s|$)/, { token: '@rematch', next: '@pop' }],
      [/^\s*-\s/, { token: '@rematch', next: '@pop' }],
      [/^\S/, { token: '@rematch', next: '@pop' }],
      [/\s*[>|][-+]?\s*$/, 'delimiter'],
      { include: '@conditionTokens' },
    ],
    conditionTokens: [
      [/#.*$/, 'comment'],
      [/"([^"\\]|\\.)*"/, 'string'],
      [/'([^'\\]|\\.)*'/, 'string'],
      [SYMBOL_OPERATOR_PATTERN, 'operator'],
      [/[()]/, '@brackets'],
      [/,/, 'delimiter'],
      [/[a-z][\w-]*(\.[\w-]+)+(\[[^\]]*\])?(\.[\w-]+)*/, 'variable.field'],
      [/[A-Za-z_][\w-]*/, { cases: { '@wordOperators': 'keyword.operator', '@default': 'identifier' } }],
      [/-?\d+(\.\d+)?/, 'number'],
      [/[^\s()=!<>,"']+/, 'string.unquoted'],
    ],
    outputBlock: [
      [/^\s*-?\s*[\w-]+\s*:(\s|$)/, { token: '@rematch', next: '@pop' }],
      [/^\s*-\s/, { token: '@rematch', next: '@pop' }],
      [/^\S/, { token: '@rematch', next: '@pop' }],
      [/\s*[>|][-+]?\s*$/, 'delimiter'],
      { include: '@outputTokens' },
    ],
    outputTokens: [
      [/%\([^)]*\)/, 'variable.field'],
      [/%\d*[a-z][\w-]*(\.[\w-]+)+(\[[^\]]*\])?(\.[\w-]+)*/, 'variable.field'],
      [/[^%]+/, 'string.output'],
      [/%/, 'string.output'],
    ],
  },
};

/** One field for completion and hover. */
export interface FieldDoc {
  name: string;
  source: string;
  type: string;
  isList: boolean;
  description: string;
  arg?: string;
  example?: string;
}

let catalog: Map<string, FieldDoc[]> | undefined;

/** Fields per source, from the engine's registry (the same definitions conditions compile against). */
export function fieldCatalog(): Map<string, FieldDoc[]> {
  if (catalog) return catalog;
  catalog = new Map();
  for (const source of builtinSources()) {
    catalog.set(
      source.name,
      source.fields
        .filter((f) => !f.hidden)
        .map((f) => ({
          name: f.name,
          source: source.name,
          type: f.isList ? `LIST(${f.type})` : f.type,
          isList: f.isList,
          description: f.description,
          ...(f.arg
            ? {
                arg: f.argDescription ?? `${f.arg.required ? 'required' : 'optional'} ${f.arg.kind} argument`,
              }
            : {}),
          ...(f.example ? { example: f.example } : {}),
        })),
    );
  }
  return catalog;
}

/**
 * Hover text for a source name (`source: okta`) or a Falco plugin name (`required_plugin_versions`):
 * which built-in source stands for which Falco plugin, at the version requirements are checked
 * against. Undefined for other words.
 */
export function sourceOrPluginDoc(word: string): string | undefined {
  const source = builtinSources().find((s) => s.name === word);
  if (source) {
    const stands = BUILTIN_PLUGINS.find((p) => p.source === word && p.name !== 'container');
    return `**source** \`${source.name}\`${source.description ? ` · ${source.description}` : ''}${
      stands ? `\n\nStands for Falco's \`${stands.name}\` plugin ${stands.version}.` : ''
    }`;
  }
  const plugin = BUILTIN_PLUGINS.find((p) => p.name === word);
  if (!plugin) return undefined;
  return `**plugin** \`${plugin.name}\` ${plugin.version} · built into Peregrine as the \`${plugin.source}\` source: ${plugin.provides}`;
}

/** The field a reference like `proc.aname[2]` or `evt.arg.flags` names, within a source. */
export function findField(source: string, reference: string): FieldDoc | undefined {
  const fields = fieldCatalog().get(source) ?? [];
  const bare = reference.replace(/\[.*$/, '');
  let best: FieldDoc | undefined;
  for (const f of fields) {
    if (f.name === bare) return f;
    // Dotted arguments: `evt.arg.flags` belongs to `evt.arg`; the longest prefix wins.
    if (bare.startsWith(`${f.name}.`) && f.arg && (!best || f.name.length > best.name.length)) best = f;
  }
  return best;
}

/** Where the cursor is in a rules file, for completion. */
export interface CursorContext {
  /** The key whose value the cursor is in (`condition`, `output`, `priority`, `source`...), or null. */
  key: string | null;
  /** The item kind the cursor is in (`rule`, `macro`, `list`), or null. */
  item: 'rule' | 'macro' | 'list' | null;
  /** The rule's `source:` (default `syscall`). */
  source: string;
}

/**
 * Reads the cursor's context from the lines of a model: the nearest key at or above the cursor
 * (continuation lines of a block value belong to the key above them) and the enclosing item.
 */
export function cursorContext(lines: readonly string[], lineIndex: number, column: number): CursorContext {
  let key: string | null = null;
  let item: CursorContext['item'] = null;
  let itemStart = 0;
  for (let i = lineIndex; i >= 0; i--) {
    const text = i === lineIndex ? (lines[i] ?? '').slice(0, column - 1) : (lines[i] ?? '');
    const itemMatch = /^-\s*(rule|macro|list)\s*:/.exec(text);
    const keyMatch = /^\s*-?\s*([\w-]+)\s*:/.exec(text);
    if (key === null && keyMatch?.[1]) key = keyMatch[1];
    if (itemMatch) {
      item = itemMatch[1] as CursorContext['item'];
      itemStart = i;
      if (key === item) key = null;
      // On the item's own first line the key is the item kind, whose value is a name.
      if (i === lineIndex) key = itemMatch[1] ?? null;
      break;
    }
    if (/^\S/.test(text) && i !== lineIndex) break;
  }
  let source = 'syscall';
  for (let i = itemStart; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (i > itemStart && /^-\s/.test(text)) break;
    const match = /^\s*-?\s*source\s*:\s*["']?([\w-]+)/.exec(text);
    if (match?.[1]) {
      source = match[1];
      break;
    }
  }
  return { key, item, source };
}
