'use client';

import dynamic from 'next/dynamic';
import styles from './editor.module.css';

/** The Monaco diff editor of rules files, loaded only in the browser (Monaco needs `window`). */
export const LazyRulesDiffEditor = dynamic(
  () => import('./rules-diff-editor').then((m) => m.RulesDiffEditor),
  { ssr: false, loading: () => <div className={styles.loading}>Loading the diff…</div> },
);
