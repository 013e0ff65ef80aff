'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { AdminPanel, AdminTable, InlineForm, SelectField, TextField } from '@/features/admin/admin-panel';
import styles from '@/features/admin/admin.module.css';
import { ConfirmButton, ErrorBanner, ShownOnce, TimeAgo } from '@/features/admin/admin-ui';
import type { RouterOutputs } from '@/features/members/router-types';
import { TestEventOutcome } from '@/features/sources/test-event-outcome';
import { RECORD_DURATIONS, type RecordDuration, SensorRecordings } from './sensor-recordings';
import { useTRPC } from '@/trpc/client';

type Sensor = RouterOutputs['sensors']['list'][number];
type Environment = { id: string; name: string; displayName: string };

const rate = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const count = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

const STATE_LABEL: Record<Sensor['state'], string> = {
  online: 'Online',
  starting: 'Starting capture',
  failed: 'Capture failed',
  stale: 'Not reporting',
  never_seen: 'Never connected',
  revoked: 'Revoked',
};
const STATE_DOT: Record<Sensor['state'], string> = {
  online: styles.dotOnline ?? '',
  starting: styles.dotStarting ?? '',
  failed: styles.dotRevoked ?? '',
  stale: styles.dotStale ?? '',
  never_seen: '',
  revoked: styles.dotRevoked ?? '',
};

function Drops({ health }: { health: Sensor['health'] }) {
  if (!health) return <span className={styles.muted}>—</span>;
  const entries = Object.entries(health.drops).filter(([, n]) => n > 0);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return <span className={styles.ok}>0</span>;
  return (
    <span className={styles.warn} title={entries.map(([cause, n]) => `${cause}: ${n}`).join(', ')}>
      {count.format(total)}{' '}
      <span className={styles.muted}>({entries.map(([cause]) => cause).join(', ')})</span>
    </span>
  );
}

/** The capture column: starting, failed with the sensor's reason, or what the capture sees. */
function captureCell(sensor: Sensor) {
  return sensor.state === 'failed' ? (
    <span data-testid="sensor-capture-failed">
      <span className={styles.danger}>capture failed</span>
      <div className="field-hint" title={sensor.captureError ?? ''}>
        {sensor.captureError}
      </div>
    </span>
  ) : sensor.state === 'starting' ? (
    <span className={styles.muted} data-testid="sensor-capture-starting">
      starting…
      <div className="field-hint">events follow once it runs</div>
    </span>
  ) : (
    <Capture capture={sensor.capture} />
  );
}

const MODE_LABEL: Record<NonNullable<Sensor['capture']>['mode'], string> = {
  libbpf: 'eBPF (libbpf)',
  bpftrace: 'eBPF (bpftrace)',
  procfs: '/proc polling',
};

/** How the sensor captures and what it can see: a /proc poller sees process starts only. */
function Capture({ capture }: { capture: Sensor['capture'] }) {
  if (!capture) return <span className={styles.muted}>—</span>;
  const types = capture.eventTypes.join(', ');
  return (
    <span data-testid="sensor-capture">
      <span className={capture.reduced ? styles.warn : styles.ok}>{MODE_LABEL[capture.mode]}</span>
      <div className="field-hint" title={types}>
        {capture.reduced
          ? 'process starts only: no file, network or privilege events'
          : `${capture.eventTypes.length} event types`}
      </div>
      {capture.reduced && capture.reason ? (
        <div className="field-hint" style={{ whiteSpace: 'normal', maxWidth: 280 }}>
          {capture.reason}
        </div>
      ) : null}
      <Uncaptured types={capture.uncaptured} />
    </span>
  );
}

/** How many uncaptured types are named in the row; the rest are in the hint's title. */
const UNCAPTURED_SHOWN = 6;

/** The event types the active rules need that this sensor does not capture: rules on them cannot fire. */
function Uncaptured({ types }: { types: string[] | null }) {
  if (!types || types.length === 0) return null;
  const shown = types.slice(0, UNCAPTURED_SHOWN).join(', ');
  const more = types.length - UNCAPTURED_SHOWN;
  return (
    <div
      className="field-hint"
      data-testid="sensor-uncaptured"
      title={types.join(', ')}
      style={{ whiteSpace: 'normal', maxWidth: 280 }}
    >
      <span className={styles.warn}>
        Rules need {types.length} event type{types.length === 1 ? '' : 's'} it does not capture:
      </span>{' '}
      {shown}
      {more > 0 ? `, and ${more} more` : ''}
    </div>
  );
}

/** The current time, advancing every `ms`, so relative times ("12 seconds ago") stay true. */
function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** Host sensors: register one (key and install command shown once), watch their health, revoke. */
export function SensorsPanel({
  initialSensors,
  environments,
  defaultEnvironmentId,
  canManage,
}: {
  initialSensors: Sensor[];
  environments: Environment[];
  defaultEnvironmentId: string | null;
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Heartbeats arrive every 30 s: refetching twice as often shows each within 15 s, and the
  // ticking clock keeps "last seen" true in between (it was frozen at the last render).
  const sensors = useQuery({
    ...trpc.sensors.list.queryOptions({}),
    initialData: initialSensors,
    refetchInterval: 15_000,
  });
  const now = useNow(5_000);
  const refresh = () => queryClient.invalidateQueries(trpc.sensors.list.queryFilter());
  const register = useMutation(trpc.sensors.register.mutationOptions({ onSettled: refresh }));
  const revoke = useMutation(trpc.sensors.revoke.mutationOptions({ onSettled: refresh }));
  const sendTest = useMutation(trpc.sensors.sendTestEvent.mutationOptions());
  // Recordings move every few seconds while one runs; otherwise as often as the sensors.
  const recordings = useQuery({
    ...trpc.sensors.listRecordings.queryOptions({}),
    refetchInterval: (query) =>
      (query.state.data ?? []).some((r) => r.status !== 'ready' && r.status !== 'failed') ? 2_000 : 15_000,
  });
  const record = useMutation(
    trpc.sensors.requestRecording.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(trpc.sensors.listRecordings.queryFilter()),
    }),
  );
  // Per sensor: choosing a length on one row leaves the others' alone.
  const [recordSeconds, setRecordSeconds] = useState<Record<string, RecordDuration>>({});
  const secondsFor = (sensorId: string): RecordDuration => recordSeconds[sensorId] ?? '60';
  const recordingsOf = (sensorId: string) => (recordings.data ?? []).filter((r) => r.sensorId === sensorId);
  /**
   * The last test event's outcome, shown above the table, where it stays in view however the
   * table scrolls on a narrow screen.
   */
  const [tested, setTested] = useState<{
    sensor: Sensor;
    result: RouterOutputs['sensors']['sendTestEvent'] | null;
    error: unknown;
  } | null>(null);
  const test = async (sensor: Sensor) => {
    try {
      const result = await sendTest.mutateAsync({ sensorId: sensor.id });
      setTested({ sensor, result, error: null });
    } catch (error) {
      setTested({ sensor, result: null, error });
    }
  };
  const [environmentId, setEnvironmentId] = useState(defaultEnvironmentId ?? environments[0]?.id ?? '');
  const [registered, setRegistered] = useState<{ name: string; command: string } | null>(null);

  return (
    <AdminPanel
      id="sensors"
      title="Sensors"
      hint="peregrine-sensor on each host: eBPF capture, shipped to the collector"
    >
      {canManage ? (
        <InlineForm
          testId="sensor-form"
          submitLabel="Register sensor"
          pendingLabel="Registering…"
          pending={register.isPending}
          disabled={!environmentId}
          onSubmit={async (values) => {
            const name = String(values.get('name') ?? '').trim();
            const result = await register.mutateAsync({ environmentId, name });
            setRegistered({ name: result.name, command: result.installCommand });
          }}
        >
          <TextField
            id="sensor-name"
            name="name"
            label="Name"
            required
            maxLength={63}
            pattern="[A-Za-z0-9][A-Za-z0-9._\-]*"
            placeholder="web-1.prod"
          />
          <SelectField
            id="sensor-environment"
            label="Environment"
            value={environmentId}
            options={environments.map((env) => ({ value: env.id, label: env.displayName }))}
            onChange={setEnvironmentId}
          />
        </InlineForm>
      ) : null}
      <ErrorBanner error={register.error ?? revoke.error ?? record.error} />
      {registered ? (
        <ShownOnce
          testId="sensor-install"
          title={`Start ${registered.name} on its host`}
          value={registered.command}
          hint="The command carries the sensor's key, shown only now (Peregrine keeps a hash). Flags work too: peregrine-sensor --collector URL --key KEY."
          onDismiss={() => setRegistered(null)}
        />
      ) : null}
      {tested ? (
        <TestEventOutcome
          sourceName={tested.sensor.name}
          environment={tested.sensor.environment.name}
          result={tested.result}
          error={tested.error}
        />
      ) : null}
      <AdminTable
        testId="sensors-table"
        rows={sensors.data}
        empty="No sensors registered yet."
        rowKey={(sensor) => sensor.id}
        rowTestId={(sensor) => `sensor-${sensor.name}`}
        detail={(sensor) => {
          const list = recordingsOf(sensor.id);
          return list.length > 0 ? <SensorRecordings recordings={list} now={now} /> : null;
        }}
        columns={[
          {
            header: 'Sensor',
            cell: (sensor) => (
              <>
                <span
                  className={`${styles.dot} ${STATE_DOT[sensor.state]}`}
                  title={STATE_LABEL[sensor.state]}
                />
                {sensor.name}
                {sensor.hostname && sensor.hostname !== sensor.name ? (
                  <span className={styles.muted}> {sensor.hostname}</span>
                ) : null}
                <div className="field-hint">
                  {STATE_LABEL[sensor.state]} · key <span className={styles.mono}>{sensor.keyPrefix}…</span>
                </div>
              </>
            ),
          },
          { header: 'Environment', cell: (sensor) => sensor.environment.displayName },
          {
            header: 'Last seen',
            cell: (sensor) => (
              <>
                <TimeAgo iso={sensor.lastSeenAt} now={now} />
                <div className="field-hint">version {sensor.version ?? '—'}</div>
              </>
            ),
          },
          {
            header: 'Capture',
            title: 'How the sensor captures, and what that lets it see',
            // Narrow enough that the row's actions stay in the panel beside a long reason.
            cell: (sensor) => <div className={styles.captureCell}>{captureCell(sensor)}</div>,
          },
          {
            // One column for the flow, so the table fits its panel with the capture text beside it.
            header: 'Events/s',
            title:
              'Captured and shipped events per second over the last heartbeat interval; events dropped; the queue waiting to be sent',
            cell: (sensor) =>
              sensor.health ? (
                <>
                  {rate.format(sensor.health.rates.captured)} captured ·{' '}
                  {rate.format(sensor.health.rates.shipped)} shipped
                  <div className="field-hint">
                    drops <Drops health={sensor.health} /> · queue {count.format(sensor.health.queueDepth)}
                  </div>
                </>
              ) : (
                <span className={styles.muted}>—</span>
              ),
          },
        ]}
        actions={
          canManage
            ? (sensor) =>
                sensor.state === 'revoked' ? null : (
                  <>
                    <button
                      type="button"
                      className="button button-ghost"
                      onClick={() => void test(sensor)}
                      disabled={sendTest.isPending}
                      title="The collector makes a marked event on this sensor's host and runs it through the environment's rules (the sensor's capture is not involved)"
                      data-testid="send-test-event"
                    >
                      {sendTest.isPending && sendTest.variables?.sensorId === sensor.id
                        ? 'Sending…'
                        : 'Send test event'}
                    </button>
                    {/* The length and the Record button stay together when the actions wrap. */}
                    <span className={styles.actionGroup}>
                      <select
                        className={`select ${styles.compactSelect}`}
                        aria-label={`Recording length for ${sensor.name}`}
                        value={secondsFor(sensor.id)}
                        onChange={(e) =>
                          setRecordSeconds((all) => ({
                            ...all,
                            [sensor.id]: e.target.value as RecordDuration,
                          }))
                        }
                        data-testid="record-seconds"
                      >
                        {RECORD_DURATIONS.map((option) => (
                          <option key={option.value} value={option.value}>
                            {option.label}
                          </option>
                        ))}
                      </select>
                      <button
                        type="button"
                        className="button button-ghost"
                        onClick={() =>
                          record.mutate({ sensorId: sensor.id, seconds: Number(secondsFor(sensor.id)) })
                        }
                        disabled={record.isPending}
                        title="The sensor writes a .scap capture of everything it sees for this long (beside shipping events), then uploads it here"
                        data-testid="record-sensor"
                      >
                        {record.isPending && record.variables?.sensorId === sensor.id
                          ? 'Asking…'
                          : `Record ${RECORD_DURATIONS.find((d) => d.value === secondsFor(sensor.id))?.label ?? ''}`}
                      </button>
                    </span>
                    <ConfirmButton
                      label="Revoke"
                      confirmLabel="Revoke key"
                      disabled={revoke.isPending}
                      onConfirm={() => revoke.mutate({ sensorId: sensor.id })}
                    />
                  </>
                )
            : undefined
        }
      />
    </AdminPanel>
  );
}
