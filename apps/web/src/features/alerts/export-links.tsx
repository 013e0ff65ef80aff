'use client';

import styles from './alerts.module.css';
import { filterToParams, type UrlFilter } from './filter-url';
import { withBasePath } from '@/lib/base-path';

/** Where the export route answers (src/app/api/alerts/export/route.ts). */
const EXPORT_PATH = withBasePath('/api/alerts/export');

/**
 * Every alert matching the page's filter (all pages, not only those loaded) as a file: CSV for
 * spreadsheets, or Falco's JSON lines for tools that read Falco's output. Plain links: the
 * browser streams the download to disk however large it is.
 */
export function ExportLinks({ filter }: { filter: UrlFilter }) {
  const query = filterToParams(filter).toString();
  return (
    <span className={styles.exports}>
      <span className={styles.muted}>Export</span>
      <a
        className="button button-ghost"
        href={`${EXPORT_PATH}?format=csv&${query}`}
        download
        data-testid="export-csv"
        title="Every alert matching these filters, as CSV"
      >
        CSV
      </a>
      <a
        className="button button-ghost"
        href={`${EXPORT_PATH}?format=ndjson&${query}`}
        download
        data-testid="export-ndjson"
        title="Every alert matching these filters, as Falco JSON lines (NDJSON)"
      >
        NDJSON
      </a>
    </span>
  );
}
