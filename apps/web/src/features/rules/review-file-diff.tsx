'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { LazyRulesDiffEditor } from '@/features/editor/rules-diff-editor-lazy';
import { useTRPC } from '@/trpc/client';
import styles from './rules.module.css';
import { errorText } from './rules-ui';

const CHANGE_LABEL = {
  added: 'Added',
  removed: 'Removed',
  changed: 'Changed',
  unchanged: 'Unchanged',
} as const;
const CHANGE_CLASS = {
  added: styles.valid,
  removed: styles.error,
  changed: styles.draft,
  unchanged: styles.neutral,
} as const;

/** Lines of a text, for the "+12 −3" beside a file (0 for none). */
const lineCount = (text: string | null) => (text ? text.split('\n').length : 0);

/**
 * The YAML diff of a review: each file of the version the environment runs against the same
 * file of the version that would run there (a tab per file, new and dropped files marked), in a
 * read-only Monaco diff editor, side by side or inline.
 */
const DIFF_HEIGHT = 400;

export function ReviewFileDiff({ versionId, environmentId }: { versionId: string; environmentId: string }) {
  const trpc = useTRPC();
  const diff = useQuery(trpc.rules.compareVersionFiles.queryOptions({ versionId, environmentId }));
  const [picked, setPicked] = useState<string | null>(null);
  const [inline, setInline] = useState(false);

  if (diff.isPending) return <div className={styles.emptyLine}>Loading the files…</div>;
  if (diff.error)
    return (
      <div className="alert-banner" role="alert">
        {errorText(diff.error)}
      </div>
    );
  const { files, before, after, environment } = diff.data;
  const file =
    files.find((f) => f.name === picked) ?? files.find((f) => f.change !== 'unchanged') ?? files[0];
  const changedFiles = files.filter((f) => f.change !== 'unchanged').length;
  return (
    <>
      <div className="panel-header">
        <h2>
          YAML · v{before?.number ?? '—'} → v{after.number}
        </h2>
        <span className={styles.faint} style={{ marginLeft: 10 }}>
          {changedFiles === 0
            ? 'No file differs'
            : `${changedFiles} of ${files.length} file${files.length === 1 ? '' : 's'} differ${changedFiles === 1 ? 's' : ''}`}
          {before ? '' : ` · nothing runs in ${environment.displayName} yet`}
        </span>
        <span className={styles.grow} />
        <fieldset className={styles.segmented}>
          <legend className="visually-hidden">Diff layout</legend>
          <button type="button" aria-pressed={!inline} onClick={() => setInline(false)}>
            Side by side
          </button>
          <button type="button" aria-pressed={inline} onClick={() => setInline(true)}>
            Inline
          </button>
        </fieldset>
      </div>
      <div className={styles.tabs} role="tablist" aria-label="Files of the version">
        {files.map((f) => (
          <button
            key={f.name}
            type="button"
            role="tab"
            className={styles.tab}
            aria-selected={f.name === file?.name}
            data-change={f.change}
            onClick={() => setPicked(f.name)}
          >
            <span
              className={styles.mono}
              style={f.change === 'removed' ? { textDecoration: 'line-through' } : undefined}
            >
              {f.name}
            </span>
            <span className={`${styles.badge} ${CHANGE_CLASS[f.change]}`}>{CHANGE_LABEL[f.change]}</span>
          </button>
        ))}
      </div>
      {file ? (
        <div role="tabpanel" aria-label={`Diff of ${file.name}`}>
          <div className={styles.diffFileLine} data-testid="review-diff-file">
            <span className={styles.mono}>{file.name}</span>
            <span className={styles.faint}>
              {file.change === 'added'
                ? `new in v${after.number} (${lineCount(file.after)} lines)`
                : file.change === 'removed'
                  ? `in v${before?.number ?? '—'}, dropped by v${after.number} (${lineCount(file.before)} lines)`
                  : file.change === 'unchanged'
                    ? `the same in v${before?.number ?? '—'} and v${after.number}`
                    : inline
                      ? `lines of v${before?.number ?? '—'} in red, of v${after.number} in green`
                      : `v${before?.number ?? '—'} on the left, v${after.number} on the right`}
            </span>
          </div>
          {/* One height from the placeholder to the loaded editor: nothing below it (the confirm
              box) moves while Monaco loads and measures. */}
          <div style={{ height: DIFF_HEIGHT + 2 }}>
            <LazyRulesDiffEditor
              original={file.before ?? ''}
              modified={file.after ?? ''}
              inline={inline}
              minHeight={DIFF_HEIGHT}
              maxHeight={DIFF_HEIGHT}
            />
          </div>
        </div>
      ) : null}
    </>
  );
}
