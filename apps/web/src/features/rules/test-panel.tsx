'use client';

import { useQuery } from '@tanstack/react-query';
import { type ChangeEvent, useMemo, useState } from 'react';
import { fieldCatalog } from '@/features/editor/falco-language';
import { type CaptureRead, looksLikeCapture, readCapture } from '@/features/editor/read-capture';
import { runSampleEvents, type SampleRun } from '@/features/editor/run-sample-events';
import { parseSampleEvents, type SampleEvent } from '@/features/editor/sample-events';
import styles from './rules.module.css';
import { useTRPC } from '@/trpc/client';
import { PriorityTag } from './rules-ui';

const EXAMPLE = `{"evt.type":"execve","evt.dir":"<","proc.name":"bash","proc.cmdline":"bash -i","user.name":"root","container.id":"3f2a9c1b7d4e","container.name":"web"}
{"evt.type":"execve","evt.dir":"<","proc.name":"ls","proc.cmdline":"ls /","user.name":"app","container.id":"host"}`;

/** Matching capture events shown at most (the count above the list covers them all). */
const CAPTURE_RESULTS_SHOWN = 200;

/** When a recording was asked for, as the sensors page shows it (the wire carries an ISO string). */
const recordedAt = (at: Date | string) => new Date(at).toLocaleString('en-GB');

/** `execve · bash` for a capture's syscall event, so a match can be told from its neighbours. */
function captureLabel(event: Record<string, unknown>): string {
  const proc = event.proc as { name?: unknown } | undefined;
  return [event.type, proc?.name].filter((x) => typeof x === 'string' && x !== '').join(' · ');
}

/**
 * Runs the draft (as edited, unsaved) against sample events in the browser with the engine and
 * shows which rules fire with their rendered output. Events are pasted JSON/NDJSON or an uploaded
 * Falco/sysdig capture (`.scap`, `.scap.gz`) or one of the organisation's ready sensor recordings
 * (fetched from the console as the sensors page's download does), read with the engine's capture
 * reader and thread/fd state, as Falco's playground tests rules on captures. Output is
 * attacker-influenced text: it is rendered as text nodes only.
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
  const [capture, setCapture] = useState<{ name: string; read: Extract<CaptureRead, { ok: true }> } | null>(
    null,
  );
  const [reading, setReading] = useState(false);
  const sources = useMemo(() => [...fieldCatalog().keys()], []);

  const runOn = (events: readonly SampleEvent[], on: string) => {
    setParseError(null);
    setRun(runSampleEvents(files, events, on));
  };
  const execute = () => {
    if (capture) return runOn(capture.read.events, 'syscall');
    const parsed = parseSampleEvents(text);
    if (!parsed.ok) {
      setParseError(parsed.error);
      setRun(null);
      return;
    }
    runOn(parsed.events, source);
  };
  const trpc = useTRPC();
  // The organisation's sensor recordings: the ready ones can be tested on without downloading.
  const recordings = useQuery(trpc.sensors.listRecordings.queryOptions({}));
  const ready = (recordings.data ?? []).filter((r) => r.status === 'ready');
  const loadCapture = async (name: string, bytes: Uint8Array) => {
    const read = await readCapture(bytes);
    if (!read.ok) {
      setCapture(null);
      setRun(null);
      setParseError(`${name}: ${read.error}`);
      return;
    }
    setCapture({ name, read });
    setPicked('syscall');
    runOn(read.events, 'syscall');
  };
  const onUpload = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (!looksLikeCapture(bytes.subarray(0, 4))) {
      setCapture(null);
      setText(new TextDecoder().decode(bytes));
      return;
    }
    setReading(true);
    try {
      await loadCapture(file.name, bytes);
    } finally {
      setReading(false);
    }
  };
  const onRecording = async (event: ChangeEvent<HTMLSelectElement>) => {
    const recording = ready.find((r) => r.id === event.target.value);
    event.target.value = '';
    if (!recording) return;
    const name = `${recording.sensorName} recording of ${recordedAt(recording.requestedAt)}`;
    setReading(true);
    try {
      const res = await fetch(`/api/sensors/recordings/${recording.id}`);
      if (!res.ok) {
        const why = await res.text().catch(() => '');
        setCapture(null);
        setRun(null);
        setParseError(
          `${name}: could not fetch it (HTTP ${res.status}${why ? `: ${why.slice(0, 200)}` : ''})`,
        );
        return;
      }
      await loadCapture(name, new Uint8Array(await res.arrayBuffer()));
    } catch (error) {
      setCapture(null);
      setRun(null);
      setParseError(`${name}: could not fetch it (${(error as Error).message})`);
    } finally {
      setReading(false);
    }
  };
  const matched = run?.ok ? run.results.filter((r) => r.alerts.length > 0) : [];
  const fired = matched.length;
  // A capture lists its matching events only; pasted events are listed whole.
  const shown = run?.ok ? (capture ? matched.slice(0, CAPTURE_RESULTS_SHOWN) : run.results) : [];
  const eventOf = (index: number) => capture?.read.events[index]?.event;

  return (
    <div className={styles.testGrid}>
      <div className={styles.testInput}>
        <div className={styles.toolbar}>
          <label className={styles.toolbar}>
            <span className={styles.faint}>Source</span>
            <select
              className="select"
              style={{ width: 120, height: 28 }}
              value={capture ? 'syscall' : source}
              disabled={capture !== null}
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
            {reading ? 'Reading…' : 'Upload…'}
            <input
              type="file"
              accept=".json,.ndjson,.jsonl,application/json,.scap,.gz"
              hidden
              onChange={onUpload}
              aria-label="Upload events or a capture"
            />
          </label>
          <select
            className="select"
            style={{ width: 200, height: 28 }}
            value=""
            disabled={reading || ready.length === 0}
            onChange={onRecording}
            aria-label="Test on a sensor recording"
            title={
              ready.length === 0
                ? 'No ready sensor recording (Record on the sensors page makes one)'
                : 'Test the rules on a sensor recording'
            }
          >
            <option value="">{ready.length === 0 ? 'No recordings' : 'Sensor recording…'}</option>
            {ready.map((r) => (
              <option key={r.id} value={r.id}>
                {r.sensorName} · {recordedAt(r.requestedAt)} · {r.seconds} s · {r.events.toLocaleString()}{' '}
                events
              </option>
            ))}
          </select>
          <span className={styles.grow} />
          <button type="button" className={`button button-primary ${styles.buttonSmall}`} onClick={execute}>
            Run events
          </button>
        </div>
        {capture ? (
          <div className={styles.emptyLine} data-testid="capture-loaded">
            <strong>{capture.name}</strong>: {capture.read.events.length.toLocaleString()} syscall events
            {capture.read.skipped > 0
              ? ` (the first ${capture.read.events.length.toLocaleString()}; ${capture.read.skipped.toLocaleString()} more not evaluated)`
              : ''}
            , read with Falco's thread and fd state.
            {capture.read.stoppedEarly ? (
              <div className={`${styles.notice} ${styles.noticeError}`} role="alert">
                Reading stopped early: {capture.read.stoppedEarly}
              </div>
            ) : null}{' '}
            <button
              type="button"
              className={`button ${styles.buttonSmall}`}
              onClick={() => {
                setCapture(null);
                setRun(null);
              }}
            >
              Back to pasted events
            </button>
          </div>
        ) : (
          <textarea
            className={styles.textarea}
            value={text}
            onChange={(e) => setText(e.target.value)}
            spellCheck={false}
            wrap="off"
            aria-label="Sample events (JSON or NDJSON)"
            placeholder='One JSON object per line, e.g. {"evt.type":"execve","proc.name":"bash"}'
          />
        )}
      </div>
      <div className={styles.scroll} data-testid="test-results">
        {parseError ? (
          <div className={`${styles.notice} ${styles.noticeError}`} style={{ margin: 12 }} role="alert">
            {parseError}
          </div>
        ) : !run ? (
          <div className={styles.emptyLine}>
            Paste events as JSON or NDJSON (flat field maps like <code>{'{"proc.name":"bash"}'}</code> or raw
            records of the source), or upload a Falco/sysdig capture (<code>.scap</code>,{' '}
            <code>.scap.gz</code>), and run them against the draft, saved or not.
          </div>
        ) : !run.ok ? (
          <div className={`${styles.notice} ${styles.noticeError}`} style={{ margin: 12 }} role="alert">
            {run.error}
          </div>
        ) : (
          <>
            <div className={styles.sideHeader}>
              <span className={styles.small}>
                {fired} of {run.results.length} {capture ? 'capture ' : ''}events matched · {run.ruleCount}{' '}
                {capture ? 'syscall' : source} rules evaluated
                {capture && fired > shown.length ? ` · the first ${shown.length} shown` : ''}
              </span>
            </div>
            <ol className={styles.results}>
              {shown.map((result) => (
                <li key={result.index} className={styles.result} data-testid="test-result">
                  <span className={styles.faint}>
                    Event {result.index + 1}
                    {capture ? ` · ${captureLabel(eventOf(result.index) ?? {})}` : ''}
                  </span>
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
