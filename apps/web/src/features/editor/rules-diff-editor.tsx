'use client';

import { useEffect, useRef, useState } from 'react';
import styles from './editor.module.css';
import { FALCO_LANGUAGE } from './falco-language';
import { monaco, registerFalcoLanguage } from './monaco-setup';
import { useMonacoTheme } from './monaco-theme';

registerFalcoLanguage();

/**
 * Ends a view model the diff editor no longer shows, then its models. The view model goes first:
 * disposing it cancels a diff still being computed for it in the worker (Monaco keeps a view
 * model made by `setModel({original, modified})` alive for good, and its computation then fails
 * on the disposed models with an uncaught "no diff result available"; one made with
 * `createViewModel` is ours to dispose).
 */
function retire(viewModel: monaco.editor.IDiffEditorViewModel | null): void {
  if (!viewModel) return;
  viewModel.dispose();
  viewModel.model.original.dispose();
  viewModel.model.modified.dispose();
}

export interface RulesDiffEditorProps {
  /** The text before (what runs now); empty for a new file. */
  original: string;
  /** The text after (what would run); empty for a removed file. */
  modified: string;
  /** One column with removed and added lines interleaved, instead of two side by side. */
  inline: boolean;
  /** Most pixels it takes: a longer diff scrolls inside (the review sizes it for its panel). */
  maxHeight: number;
  /** Fewest pixels it takes, however short the diff. */
  minHeight?: number;
}

/**
 * A read-only Monaco diff editor with the Falco rules language. Client only.
 *
 * Built on `monaco.editor.createDiffEditor` rather than @monaco-editor/react's DiffEditor: that
 * one disposes both text models before the widget, which Monaco reports as an uncaught
 * "TextModel got disposed before DiffEditorWidget model got reset" on every file switch and
 * unmount. Here the widget lets go of its view model first, then it and its models are disposed
 * (see retire).
 */
export function RulesDiffEditor({
  original,
  modified,
  inline,
  maxHeight,
  minHeight = 120,
}: RulesDiffEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const editorRef = useRef<monaco.editor.IStandaloneDiffEditor | null>(null);
  const viewModelRef = useRef<monaco.editor.IDiffEditorViewModel | null>(null);
  const theme = useMonacoTheme();
  // As tall as the diff (folded unchanged regions included), between the bounds.
  const [contentHeight, setContentHeight] = useState<number | null>(null);
  const inlineRef = useRef(inline);
  inlineRef.current = inline;

  useEffect(() => {
    if (!host.current) return;
    const editor = monaco.editor.createDiffEditor(host.current, {
      readOnly: true,
      originalEditable: false,
      domReadOnly: true,
      renderSideBySide: true,
      // The toggle decides, not the width (the review's panel is wide enough for two columns).
      useInlineViewWhenSpaceIsLimited: false,
      // Indentation is structure in YAML: a changed indent is a change.
      ignoreTrimWhitespace: false,
      // Long rule files: show the changes with a little context, the rest folded (expandable).
      hideUnchangedRegions: { enabled: true, contextLineCount: 3, minimumLineCount: 5, revealLineCount: 20 },
      renderOverviewRuler: true,
      automaticLayout: true,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      fontSize: 12.5,
      lineHeight: 19,
      fontFamily:
        'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace',
      renderLineHighlight: 'none',
      fixedOverflowWidgets: true,
      scrollbar: { verticalScrollbarSize: 10, horizontalScrollbarSize: 10 },
    });
    editorRef.current = editor;
    const measure = () => {
      const modifiedHeight = editor.getModifiedEditor().getContentHeight();
      // Inline, the modified editor shows both sides; side by side, the taller side counts.
      setContentHeight(
        inlineRef.current
          ? modifiedHeight
          : Math.max(modifiedHeight, editor.getOriginalEditor().getContentHeight()),
      );
    };
    const listeners = [
      editor.onDidUpdateDiff(measure),
      editor.getModifiedEditor().onDidContentSizeChange(measure),
      editor.getOriginalEditor().onDidContentSizeChange(measure),
    ];
    return () => {
      for (const l of listeners) l.dispose();
      editor.setModel(null);
      editor.dispose();
      retire(viewModelRef.current);
      viewModelRef.current = null;
      editorRef.current = null;
    };
  }, []);

  useEffect(() => {
    const editor = editorRef.current;
    if (!editor) return;
    const previous = viewModelRef.current;
    const next = editor.createViewModel({
      original: monaco.editor.createModel(original, FALCO_LANGUAGE),
      modified: monaco.editor.createModel(modified, FALCO_LANGUAGE),
    });
    editor.setModel(next);
    viewModelRef.current = next;
    retire(previous);
  }, [original, modified]);

  useEffect(() => {
    editorRef.current?.updateOptions({ renderSideBySide: !inline });
  }, [inline]);

  useEffect(() => {
    monaco.editor.setTheme(theme);
  }, [theme]);

  return (
    <div
      ref={host}
      className={styles.host}
      style={{
        height: Math.min(maxHeight, Math.max(minHeight, (contentHeight ?? maxHeight) + 2)),
      }}
      data-testid="review-diff-editor"
      data-layout={inline ? 'inline' : 'side-by-side'}
    />
  );
}
