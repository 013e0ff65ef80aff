'use client';

import dynamic from 'next/dynamic';
import styles from './editor.module.css';

/**
 * The Monaco rules editor, loaded only in the browser: Monaco touches `window` and `document` at
 * import time, so it must never be part of server rendering.
 */
export const LazyRulesEditor = dynamic(() => import('./rules-editor').then((m) => m.RulesEditor), {
  ssr: false,
  loading: () => <div className={styles.loading}>Loading editor…</div>,
});
