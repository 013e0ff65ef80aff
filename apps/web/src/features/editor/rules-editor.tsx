'use client';

import Editor, { type OnMount } from '@monaco-editor/react';
import { useEffect, useRef } from 'react';
import type { RulesAnalysis } from './analyze-rules';
import styles from './editor.module.css';
import { FALCO_LANGUAGE } from './falco-language';
import { monaco, registerFalcoLanguage, setModelAnalysis } from './monaco-setup';
import { useMonacoTheme } from './monaco-theme';

registerFalcoLanguage();

export interface RulesEditorProps {
  /** Distinguishes drafts (rule set and version) so models of different drafts never mix. */
  draftKey: string;
  files: readonly { name: string; content: string }[];
  activeFile: string;
  onChange: (file: string, content: string) => void;
  analysis: RulesAnalysis | null;
  readOnly?: boolean;
  /** Line to reveal and select (after a click in the problems list); bump `nonce` to repeat. */
  reveal?: { file: string; line: number; column: number; nonce: number } | null;
  /** The cursor's line (1-based) in the active file, whenever it moves: the test panel follows it. */
  onCursorLine?: (file: string, line: number) => void;
}

const uriOf = (draftKey: string, file: string) => `peregrine://draft/${draftKey}/${file}`;

/** Monaco with the Falco rules language, engine markers, completion and hover. Client only. */
export function RulesEditor({
  draftKey,
  files,
  activeFile,
  onChange,
  analysis,
  readOnly,
  reveal,
  onCursorLine,
}: RulesEditorProps) {
  const editorRef = useRef<Parameters<OnMount>[0] | null>(null);
  const theme = useMonacoTheme();
  const file = files.find((f) => f.name === activeFile) ?? files[0];

  // Every file of the draft gets a model, so markers of files in other tabs exist too. Models are
  // keyed by draft (rule set and version): a new draft never inherits another's text.
  useEffect(() => {
    for (const f of files) {
      const uri = monaco.Uri.parse(uriOf(draftKey, f.name));
      const model = monaco.editor.getModel(uri);
      if (!model) monaco.editor.createModel(f.content, FALCO_LANGUAGE, uri);
    }
  }, [draftKey, files]);

  useEffect(() => {
    if (!analysis) return;
    for (const f of files) {
      const model = monaco.editor.getModel(monaco.Uri.parse(uriOf(draftKey, f.name)));
      if (!model) continue;
      setModelAnalysis(model.uri.toString(), analysis);
      monaco.editor.setModelMarkers(
        model,
        'peregrine-engine',
        analysis.markers
          .filter((m) => m.file === f.name)
          .map((m) => ({
            severity: m.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning,
            message: `${m.message} (${m.item})`,
            code: m.code,
            source: 'falco',
            startLineNumber: m.startLineNumber,
            startColumn: m.startColumn,
            endLineNumber: m.endLineNumber,
            endColumn: m.endColumn,
          })),
      );
    }
  }, [analysis, files, draftKey]);

  useEffect(() => {
    const editor = editorRef.current;
    if (!editor || !reveal || reveal.file !== activeFile) return;
    editor.revealLineInCenter(reveal.line);
    editor.setPosition({ lineNumber: reveal.line, column: reveal.column });
    editor.focus();
  }, [reveal, activeFile]);

  // Read through a ref: Monaco's listener is registered once, at mount.
  const cursorListener = useRef<((line: number) => void) | null>(null);
  cursorListener.current = file && onCursorLine ? (line) => onCursorLine(file.name, line) : null;

  if (!file) return null;
  return (
    <div className={styles.host}>
      <Editor
        path={uriOf(draftKey, file.name)}
        defaultLanguage={FALCO_LANGUAGE}
        language={FALCO_LANGUAGE}
        // Uncontrolled: the model owns the text. A controlled `value` lagging one render behind fast
        // typing would be written back over newer keystrokes and move the cursor.
        defaultValue={file.content}
        theme={theme}
        onChange={(value) => onChange(file.name, value ?? '')}
        onMount={(editor) => {
          editorRef.current = editor;
          editor.onDidChangeCursorPosition((e) => cursorListener.current?.(e.position.lineNumber));
        }}
        loading={<div className={styles.loading}>Loading editor…</div>}
        options={{
          readOnly: readOnly ?? false,
          fontSize: 12.5,
          lineHeight: 19,
          fontFamily:
            'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace',
          minimap: { enabled: false },
          scrollBeyondLastLine: false,
          renderLineHighlight: 'gutter',
          tabSize: 2,
          insertSpaces: true,
          automaticLayout: true,
          wordWrap: 'off',
          fixedOverflowWidgets: true,
          quickSuggestions: { other: true, comments: false, strings: true },
          padding: { top: 8, bottom: 8 },
          scrollbar: { verticalScrollbarSize: 10, horizontalScrollbarSize: 10 },
        }}
      />
    </div>
  );
}
