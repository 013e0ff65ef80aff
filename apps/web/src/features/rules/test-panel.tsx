'use client';

import { type ChangeEvent, useMemo, useState } from 'react';
import { fieldCatalog } from '@/features/editor/falco-language';
import { runSampleEvents, type SampleRun } from '@/features/editor/run-sample-events';
import { parseSampleEvents } from '@/features/editor/sample-events';
import styles from './rules.module.css';
import { PriorityTag } from './rules-ui';

const EXAMPLE = `{"evt.type":"execve","evt.dir":"<","proc.name":"bash","proc.cmdline":"bash -i","user.name":"root","container.id":"3f2a9c1b7d4e","container.name":"web"}
{"evt.type":"execve","evt.dir":"<","proc.name":"ls","proc.cmdline":"ls /","user.name":"app","container.id":"host"}`;

/**
 * Runs the draft (as edited, unsaved) against sample events in the browser with the engine and
 * shows which rules fire with their rendered output. Output is attacker-influenced text: it is
 * rendered as text nodes only.
 */
export function TestPanel({
  files,
  defaultSource,
}: {
  files: readonly { name: string; content: string }[];
  defaultSource: string;
}) {
  const [text, setText] = useState(EXAMPLE);
  // Follows the rule under the editor's cursor until the author picks a source here.
  const [picked, setPicked] = useState<string | null>(null);
  const source = picked ?? defaultSource;
  const [run, setRun] = useState<SampleRun | null>(null);
  const [parseError, setParseError] = useState<string | null>(null);
  const sources = useMemo(() => [...fieldCatalog().keys()], []);

  const execute = () => {
    const parsed = parseSampleEvents(text);
    if (!parsed.ok) {
      setParseError(parsed.error);
      setRun(null);
      return;
    }
    setParseError(null);
    setRun(runSampleEvents(files, parsed.events, source));
  };
  const onUpload = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file) setText(await file.text());
    event.target.value = '';
  };
  const fired = run?.ok ? run.results.filter((r) => r.alerts.length > 0).length : 0;

  return (
    <div className={styles.testGrid}>
      <div className={styles.testInput}>
        <div className={styles.toolbar}>
          <label className={styles.toolbar}>
            <span className={styles.faint}>Source</span>
            <select
              className="select"
              style={{ width: 120, height: 28 }}
              value={source}
              onChange={(e) => setPicked(e.target.value)}
              aria-label="Event source"
            >
              {sources.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className={`button ${styles.buttonSmall}`}>
            Upload…
            <input type="file" accept=".json,.ndjson,.jsonl,application/json" hidden onChange={onUpload} />
          </label>
          <span className={styles.grow} />
          <button type="button" className={`button button-primary ${styles.buttonSmall}`} onClick={execute}>
            Run events
          </button>
        </div>
        <textarea
          className={styles.textarea}
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          wrap="off"
          aria-label="Sample events (JSON or NDJSON)"
          placeholder='One JSON object per line, e.g. {"evt.type":"execve","proc.name":"bash"}'
        />
      </div>
      <div className={styles.scroll} data-testid="test-results">
        {parseError ? (
          <div className={`${styles.notice} ${styles.noticeError}`} style={{ margin: 12 }} role="alert">
            {parseError}
          </div>
        ) : !run ? (
          <div className={styles.emptyLine}>
            Paste events as JSON or NDJSON (flat field maps like <code>{'{"proc.name":"bash"}'}</code> or raw
            records of the source) and run them against the draft, saved or not.
          </div>
        ) : !run.ok ? (
          <div className={`${styles.notice} ${styles.noticeError}`} style={{ margin: 12 }} role="alert">
            {run.error}
          </div>
        ) : (
          <>
            <div className={styles.sideHeader}>
              <span className={styles.small}>
                {fired} of {run.results.length} events matched · {run.ruleCount} {source} rules evaluated
              </span>
            </div>
            <ol className={styles.results}>
              {run.results.map((result) => (
                <li key={result.index} className={styles.result} data-testid="test-result">
                  <span className={styles.faint}>Event {result.index + 1}</span>
                  {result.error ? <span className={styles.muted}>{result.error}</span> : null}
                  {result.alerts.length === 0 && !result.error ? (
                    <span className={styles.muted}>No rule fired.</span>
                  ) : null}
                  {result.alerts.map((alert) => (
                    <div key={alert.rule} className={styles.alertLine}>
                      <PriorityTag priority={alert.priority} />
                      <div>
                        <strong>{alert.rule}</strong>
                        <div className={styles.output}>{alert.output}</div>
                      </div>
                    </div>
                  ))}
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </div>
  );
}
