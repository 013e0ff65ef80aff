// Client-only: imported solely from the editor component that next/dynamic loads with ssr:false.
// Monaco is assembled from its ESM parts (the core API plus the contributions a rules editor
// needs) and bundled with the app: nothing is fetched from a CDN.
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/editor/browser/coreCommands';
import 'monaco-editor/editor/common/standaloneStrings';
import 'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching';
import 'monaco-editor/editor/contrib/caretOperations/browser/caretOperations';
import 'monaco-editor/editor/contrib/clipboard/browser/clipboard';
import 'monaco-editor/editor/contrib/comment/browser/comment';
import 'monaco-editor/editor/contrib/contextmenu/browser/contextmenu';
import 'monaco-editor/editor/contrib/cursorUndo/browser/cursorUndo';
import 'monaco-editor/editor/contrib/find/browser/findController';
import 'monaco-editor/editor/contrib/folding/browser/folding';
import 'monaco-editor/editor/contrib/gotoError/browser/gotoError';
import 'monaco-editor/editor/contrib/hover/browser/hoverContribution';
import 'monaco-editor/editor/contrib/indentation/browser/indentation';
import 'monaco-editor/editor/contrib/linesOperations/browser/linesOperations';
import 'monaco-editor/editor/contrib/multicursor/browser/multicursor';
import 'monaco-editor/editor/contrib/smartSelect/browser/smartSelect';
import 'monaco-editor/editor/contrib/suggest/browser/suggestController';
import 'monaco-editor/editor/contrib/tokenization/browser/tokenization';
import 'monaco-editor/editor/contrib/wordHighlighter/browser/wordHighlighter';
import 'monaco-editor/editor/contrib/wordOperations/browser/wordOperations';
import { loader } from '@monaco-editor/react';
import { PRIORITIES, SYMBOL_OPERATORS, WORD_OPERATORS } from '@peregrine/engine';
import type { RulesAnalysis } from './analyze-rules';
import {
  cursorContext,
  FALCO_LANGUAGE,
  fieldCatalog,
  findField,
  sourceOrPluginDoc,
  ITEM_KEYS,
  falcoMonarch,
} from './falco-language';

declare global {
  interface Window {
    MonacoEnvironment?: monaco.Environment;
  }
}

// Monaco's editor worker (diffing, word ranges) bundled by the app's bundler.
window.MonacoEnvironment = {
  getWorker: () => new Worker(new URL('./monaco-editor.worker.ts', import.meta.url)),
};

// @monaco-editor/react uses this instance instead of loading Monaco from a CDN.
loader.config({ monaco });

/** The newest engine analysis per model, for completion and hover of macros and lists. */
const analyses = new Map<string, RulesAnalysis>();

/** Tells the language services what the engine found in the draft the model belongs to. */
export function setModelAnalysis(uri: string, analysis: RulesAnalysis): void {
  analyses.set(uri, analysis);
}

const md = (text: string) => text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');

let registered = false;

/** Registers the Falco rules language, its themes, completion and hover (once per page). */
export function registerFalcoLanguage(): typeof monaco {
  if (registered) return monaco;
  registered = true;
  monaco.languages.register({ id: FALCO_LANGUAGE, extensions: ['.yaml', '.yml'], aliases: ['Falco rules'] });
  monaco.languages.setMonarchTokensProvider(
    FALCO_LANGUAGE,
    falcoMonarch as monaco.languages.IMonarchLanguage,
  );
  monaco.languages.setLanguageConfiguration(FALCO_LANGUAGE, {
    comments: { lineComment: '#' },
    brackets: [
      ['(', ')'],
      ['[', ']'],
      ['{', '}'],
    ],
    autoClosingPairs: [
      { open: '(', close: ')' },
      { open: '[', close: ']' },
      { open: '{', close: '}' },
      { open: '"', close: '"' },
      { open: "'", close: "'" },
    ],
    // Field names contain dots and brackets: `proc.aname[2]` is one word for completion and hover.
    wordPattern: /[A-Za-z_%][\w.\-/]*(\[[^\]\s]*\])?[\w.-]*/,
    indentationRules: { increaseIndentPattern: /:\s*$/, decreaseIndentPattern: /^\s*$/ },
  });

  const common = { 'editor.lineHighlightBackground': '#00000000' };
  monaco.editor.defineTheme('peregrine-light', {
    base: 'vs',
    inherit: true,
    rules: [
      { token: 'keyword', foreground: '1b43ab' },
      { token: 'keyword.item', foreground: '1b43ab', fontStyle: 'bold' },
      { token: 'entity.name', foreground: '17202b', fontStyle: 'bold' },
      { token: 'keyword.operator', foreground: 'a626a4', fontStyle: 'bold' },
      { token: 'operator', foreground: 'a626a4' },
      { token: 'variable.field', foreground: '0e7490' },
      { token: 'identifier', foreground: '9a3412' },
      { token: 'constant.priority', foreground: 'c62828', fontStyle: 'bold' },
      { token: 'string', foreground: '1c7c47' },
      { token: 'string.unquoted', foreground: '1c7c47' },
      { token: 'string.output', foreground: '3f4a5a' },
      { token: 'comment', foreground: '8791a0', fontStyle: 'italic' },
      { token: 'number', foreground: 'a85d00' },
    ],
    colors: { ...common, 'editor.background': '#ffffff' },
  });
  monaco.editor.defineTheme('peregrine-dark', {
    base: 'vs-dark',
    inherit: true,
    rules: [
      { token: 'keyword', foreground: '82a7ff' },
      { token: 'keyword.item', foreground: '82a7ff', fontStyle: 'bold' },
      { token: 'entity.name', foreground: 'e3e8ef', fontStyle: 'bold' },
      { token: 'keyword.operator', foreground: 'd19af0', fontStyle: 'bold' },
      { token: 'operator', foreground: 'd19af0' },
      { token: 'variable.field', foreground: '5fd3e8' },
      { token: 'identifier', foreground: 'f0a84a' },
      { token: 'constant.priority', foreground: 'ff6b6b', fontStyle: 'bold' },
      { token: 'string', foreground: '4cc38a' },
      { token: 'string.unquoted', foreground: '4cc38a' },
      { token: 'string.output', foreground: 'b8c2cf' },
      { token: 'comment', foreground: '6b7686', fontStyle: 'italic' },
      { token: 'number', foreground: 'f0a84a' },
    ],
    colors: { ...common, 'editor.background': '#151b23' },
  });

  monaco.languages.registerCompletionItemProvider(FALCO_LANGUAGE, {
    triggerCharacters: ['.', '%', '('],
    provideCompletionItems(model, position) {
      const lines = model.getLinesContent();
      const context = cursorContext(lines, position.lineNumber - 1, position.column);
      const word = model.getWordUntilPosition(position);
      const range = new monaco.Range(
        position.lineNumber,
        word.startColumn,
        position.lineNumber,
        word.endColumn,
      );
      const kinds = monaco.languages.CompletionItemKind;
      const suggestions: monaco.languages.CompletionItem[] = [];
      const analysis = analyses.get(model.uri.toString());
      const linePrefix = (lines[position.lineNumber - 1] ?? '').slice(0, position.column - 1);

      const fields = (withPercent: boolean) => {
        const source = context.item === 'macro' ? null : context.source;
        const docs = source ? (fieldCatalog().get(source) ?? []) : [...fieldCatalog().values()].flat();
        const seen = new Set<string>();
        for (const f of docs) {
          if (seen.has(f.name)) continue;
          seen.add(f.name);
          suggestions.push({
            label: { label: f.name, description: f.type },
            kind: kinds.Field,
            insertText:
              withPercent && !word.word.startsWith('%') ? f.name : withPercent ? `%${f.name}` : f.name,
            filterText: withPercent ? `%${f.name}` : f.name,
            detail: `${f.source} · ${f.type}`,
            documentation: { value: `${md(f.description)}${f.arg ? `\n\nArgument: ${md(f.arg)}` : ''}` },
            range,
            sortText: `1${f.name}`,
          });
        }
      };

      if (context.key === 'condition') {
        fields(false);
        for (const m of analysis?.macros ?? []) {
          suggestions.push({
            label: { label: m.name, description: 'macro' },
            kind: kinds.Function,
            insertText: m.name,
            detail: 'macro',
            documentation: { value: `\`\`\`\n${m.condition}\n\`\`\`` },
            range,
            sortText: `0${m.name}`,
          });
        }
        const inParens = /\(\s*[\w\s,.-]*$/.test(linePrefix);
        for (const l of analysis?.lists ?? []) {
          suggestions.push({
            label: { label: l.name, description: 'list' },
            kind: kinds.Enum,
            insertText: l.name,
            detail: `list · ${l.items.length} items`,
            documentation: { value: l.items.slice(0, 40).join(', ') },
            range,
            sortText: `${inParens ? '0' : '2'}${l.name}`,
          });
        }
        for (const op of [...WORD_OPERATORS, ...SYMBOL_OPERATORS]) {
          suggestions.push({ label: op, kind: kinds.Operator, insertText: op, range, sortText: `3${op}` });
        }
      } else if (context.key === 'output') {
        if (/%[\w.]*$/.test(linePrefix)) fields(true);
      } else if (context.key === 'priority') {
        for (const p of PRIORITIES) {
          suggestions.push({
            label: p.toUpperCase(),
            kind: kinds.EnumMember,
            insertText: p.toUpperCase(),
            range,
          });
        }
      } else if (context.key === 'source') {
        for (const name of fieldCatalog().keys()) {
          const doc = sourceOrPluginDoc(name);
          suggestions.push({
            label: name,
            kind: kinds.Module,
            insertText: name,
            range,
            ...(doc ? { documentation: { value: doc } } : {}),
          });
        }
      } else if (/^\s*-?\s*[\w-]*$/.test(linePrefix)) {
        for (const key of ITEM_KEYS) {
          suggestions.push({ label: key, kind: kinds.Property, insertText: `${key}: `, range });
        }
      }
      return { suggestions };
    },
  });

  monaco.languages.registerHoverProvider(FALCO_LANGUAGE, {
    provideHover(model, position) {
      const word = model.getWordAtPosition(position);
      if (!word) return null;
      const text = word.word.replace(/^%\d*/, '');
      const range = new monaco.Range(
        position.lineNumber,
        word.startColumn,
        position.lineNumber,
        word.endColumn,
      );
      const context = cursorContext(model.getLinesContent(), position.lineNumber - 1, position.column);
      const analysis = analyses.get(model.uri.toString());
      const macro = analysis?.macros.find((m) => m.name === text);
      if (macro) {
        return {
          range,
          contents: [{ value: `**macro** \`${text}\`` }, { value: `\`\`\`\n${macro.condition}\n\`\`\`` }],
        };
      }
      const list = analysis?.lists.find((l) => l.name === text);
      if (list) {
        const shown = list.items
          .slice(0, 60)
          .map((i) => `\`${i}\``)
          .join(', ');
        return {
          range,
          contents: [
            { value: `**list** \`${text}\` · ${list.items.length} items` },
            { value: shown + (list.items.length > 60 ? ', …' : '') },
          ],
        };
      }
      if (context.key === 'source' || context.key === 'name' || context.key === 'required_plugin_versions') {
        const doc = sourceOrPluginDoc(text);
        if (doc) return { range, contents: [{ value: doc }] };
      }
      const field =
        findField(context.source, text) ??
        [...fieldCatalog().keys()].map((source) => findField(source, text)).find(Boolean);
      if (field) {
        return {
          range,
          contents: [
            { value: `**${field.name}** · \`${field.type}\` · ${field.source}` },
            { value: md(field.description) },
            ...(field.arg ? [{ value: `Argument: ${md(field.arg)}` }] : []),
            ...(field.example ? [{ value: `Example: \`${field.example}\`` }] : []),
          ],
        };
      }
      return null;
    },
  });
  return monaco;
}

export { monaco };
