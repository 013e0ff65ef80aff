'use client';

import styles from '@/features/admin/admin.module.css';
import type { RouterOutputs } from '@/features/members/router-types';
import { withBasePath } from '@/lib/base-path';

type Recording = RouterOutputs['sensors']['listRecordings'][number];

/** Durations the Record control offers (seconds; the procedure accepts 5 s to 10 min). */
export const RECORD_DURATIONS = [
  { value: '10', label: '10 s' },
  { value: '30', label: '30 s' },
  { value: '60', label: '60 s' },
  { value: '120', label: '2 min' },
  { value: '300', label: '5 min' },
  { value: '600', label: '10 min' },
] as const;

/** One of the offered lengths, as the select's value. */
export type RecordDuration = (typeof RECORD_DURATIONS)[number]['value'];

const STATUS_LABEL: Record<Recording['status'], string> = {
  requested: 'Requested',
  recording: 'Recording',
  uploading: 'Uploading',
  ready: 'Ready',
  failed: 'Failed',
};

const bytes = new Intl.NumberFormat('en', { style: 'unit', unit: 'kilobyte', maximumFractionDigits: 1 });
const integer = new Intl.NumberFormat('en');

function size(n: number | null): string {
  if (n === null) return '—';
  return n >= 1024 * 1024
    ? `${(n / (1024 * 1024)).toFixed(1)} MB`
    : bytes.format(Math.max(0.1, n / 1024)).replace('kB', 'KB');
}

/** How far along a recording is, in words (and a percentage while it records or uploads). */
function progress(recording: Recording, now: number): string {
  switch (recording.status) {
    case 'requested':
      return 'waiting for the sensor’s next heartbeat';
    case 'recording': {
      const started = recording.startedAt ? new Date(recording.startedAt).getTime() : now;
      const elapsed = Math.min(recording.seconds, Math.max(0, Math.round((now - started) / 1000)));
      return `${elapsed} of ${recording.seconds} s · ${integer.format(recording.events)} events`;
    }
    case 'uploading':
      return `${size(recording.uploadedBytes)} uploaded · ${integer.format(recording.events)} events`;
    case 'ready':
      return `${integer.format(recording.events)} events${recording.dropped > 0 ? ` (${integer.format(recording.dropped)} left out)` : ''}${recording.note ? ` · ${recording.note}` : ''}`;
    case 'failed':
      return recording.error ?? 'failed';
  }
}

/** One sensor's recordings: status and progress, size, events, and the `.scap.gz` to download. */
export function SensorRecordings({ recordings, now }: { recordings: readonly Recording[]; now: number }) {
  return (
    <div style={{ padding: '8px 12px' }} data-testid="sensor-recordings">
      <div className="field-hint">Recordings (.scap, gzip: opens in sysdig -r, Falco, peregrine replay)</div>
      <ul style={{ listStyle: 'none', margin: 0, padding: 0 }}>
        {recordings.map((recording) => (
          <li
            key={recording.id}
            data-testid="sensor-recording"
            data-status={recording.status}
            style={{ display: 'flex', gap: 12, alignItems: 'baseline', flexWrap: 'wrap', padding: '2px 0' }}
          >
            <span
              className={
                recording.status === 'failed'
                  ? styles.danger
                  : recording.status === 'ready'
                    ? styles.ok
                    : styles.warn
              }
            >
              {STATUS_LABEL[recording.status]}
            </span>
            <span className={styles.mono}>{new Date(recording.requestedAt).toLocaleString('en-GB')}</span>
            <span>{recording.seconds} s</span>
            <span data-testid="recording-progress">{progress(recording, now)}</span>
            {recording.status === 'ready' ? (
              <>
                <span>{size(recording.bytes)}</span>
                <a
                  className="button button-ghost"
                  href={withBasePath(`/api/sensors/recordings/${recording.id}`)}
                  download
                  data-testid="recording-download"
                  title={`SHA-256 ${recording.sha256 ?? ''}`}
                >
                  Download .scap.gz
                </a>
              </>
            ) : null}
            {recording.requestedByName ? (
              <span className={styles.muted}>by {recording.requestedByName}</span>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
