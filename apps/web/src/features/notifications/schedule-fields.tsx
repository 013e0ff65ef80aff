'use client';

import { DIGEST_KINDS, isTimeZone, PRIORITY_NAMES, QUIET_HOURS_KINDS } from '@peregrine/protocol';
import { useMemo, useState } from 'react';
import type { RouterInputs, RouterOutputs } from '@/features/members/router-types';
import { Field, Select, str } from './form-fields';

type Route = RouterOutputs['notifications']['listRoutes'][number];
type Channel = RouterOutputs['notifications']['listChannels'][number];
type Settings = RouterInputs['notifications']['createRoute'];
type PriorityName = (typeof PRIORITY_NAMES)[number];
type Mode = 'each' | 'interval' | 'daily';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** The digest and quiet-hours settings of the form (null when off). */
export function readSchedule(form: FormData): Pick<Settings, 'digest' | 'quietHours'> {
  const mode = str(form, 'deliveryMode') as Mode;
  const digest: Settings['digest'] =
    mode === 'interval'
      ? { mode: 'interval', minutes: Math.round(Number(str(form, 'digestMinutes') || '0')) }
      : mode === 'daily'
        ? { mode: 'daily', at: str(form, 'digestAt'), timeZone: str(form, 'digestTimeZone') }
        : null;
  const quietHours: Settings['quietHours'] =
    form.get('quiet') === 'on'
      ? {
          timeZone: str(form, 'quietTimeZone'),
          start: str(form, 'quietStart'),
          end: str(form, 'quietEnd'),
          days: form.getAll('quietDays').map(Number),
          weekends: form.get('quietWeekends') === 'on',
          passPriority: (str(form, 'quietPass') || 'critical') as PriorityName,
        }
      : null;
  return { digest, quietHours };
}

/**
 * What is wrong with the schedule as typed, in the form's words (the server checks the same with
 * the protocol's schemas); undefined when it is fine.
 */
export function scheduleProblem(
  s: Pick<Settings, 'digest' | 'quietHours' | 'channelIds'>,
  channels: readonly Channel[],
): string | undefined {
  const d = s.digest;
  if (d?.mode === 'interval' && !(Number.isInteger(d.minutes) && d.minutes >= 5 && d.minutes <= 10_080))
    return 'A digest period is 5 minutes to 7 days (10080 minutes).';
  if (d?.mode === 'daily') {
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(d.at)) return 'Give the daily digest’s time as HH:MM.';
    if (!isTimeZone(d.timeZone)) return `“${d.timeZone}” is not a time zone (e.g. Europe/Berlin, UTC).`;
  }
  const q = s.quietHours;
  if (q) {
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(q.start) || !/^([01]\d|2[0-3]):[0-5]\d$/.test(q.end))
      return 'Give the quiet hours’ start and end as HH:MM.';
    if (!isTimeZone(q.timeZone)) return `“${q.timeZone}” is not a time zone (e.g. Europe/Berlin, UTC).`;
    if ((q.days ?? []).length === 0 && !q.weekends)
      return 'Choose the days of the quiet hours (or weekends).';
  }
  const refused = (kinds: readonly string[]) =>
    channels
      .filter((c) => s.channelIds.includes(c.id) && !kinds.includes(c.kind))
      .map((c) => c.name)
      .join(', ');
  if (d && refused(DIGEST_KINDS))
    return `${refused(DIGEST_KINDS)}: PagerDuty, Opsgenie and falcosidekick take one alert per message, so a digest cannot use them. Send those to a route of their own.`;
  if (q && refused(QUIET_HOURS_KINDS))
    return `${refused(QUIET_HOURS_KINDS)}: falcosidekick forwards every alert as Falco sends it, so quiet hours cannot hold them. Send those to a route of their own.`;
  return undefined;
}

/** The time zones the browser knows, for the inputs' suggestions. */
function useZones(): string[] {
  return useMemo(() => {
    try {
      return Intl.supportedValuesOf('timeZone');
    } catch {
      return ['UTC'];
    }
  }, []);
}

/** Delivery mode (one by one, or a digest on a schedule) and quiet hours. */
export function ScheduleFields({ idPrefix: p, route }: { idPrefix: string; route?: Route | undefined }) {
  const [mode, setMode] = useState<Mode>(route?.digest?.mode ?? 'each');
  const [quiet, setQuiet] = useState(Boolean(route?.quietHours));
  const zones = useZones();
  const zoneList = `${p}-zones`;
  const d = route?.digest;
  const q = route?.quietHours;
  const zoneField = (name: string, value: string | undefined) => (
    <div className="field">
      <label className="field-label" htmlFor={`${p}-${name}`}>
        Time zone
      </label>
      <input
        id={`${p}-${name}`}
        name={name}
        className="input"
        list={zoneList}
        defaultValue={value ?? browserZone()}
        autoComplete="off"
      />
    </div>
  );
  return (
    <fieldset className="field" style={{ gridColumn: '1 / -1', border: 0, padding: 0, margin: 0 }}>
      <legend className="field-label">Delivery</legend>
      <datalist id={zoneList}>
        {zones.map((z) => (
          <option key={z} value={z} />
        ))}
      </datalist>
      <span className="field-hint" style={{ display: 'block', marginBottom: 6 }}>
        One by one sends each alert as it is stored (at most one per group in the throttle window). A digest
        collects the route’s alerts and sends one message per channel when each period ends: counts per rule
        and priority and the most severe alerts, with links (the throttle above applies only one by one).
        Digests go to webhook, Slack, Teams and email channels only.
      </span>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 12 }}>
        <Select
          idPrefix={p}
          name="deliveryMode"
          label="Send"
          value={mode}
          onChange={setMode}
          options={[
            { value: 'each', label: 'one by one' },
            { value: 'interval', label: 'periodic digest' },
            { value: 'daily', label: 'daily digest' },
          ]}
        />
        {mode === 'interval' ? (
          <Field
            idPrefix={p}
            name="digestMinutes"
            label="Digest every (minutes)"
            type="number"
            defaultValue={d?.mode === 'interval' ? d.minutes : 60}
            hint="5 to 10080; periods start on the hour (UTC) for 60"
          />
        ) : null}
        {mode === 'daily' ? (
          <>
            <Field
              idPrefix={p}
              name="digestAt"
              label="Daily at"
              type="time"
              defaultValue={d?.mode === 'daily' ? d.at : '08:00'}
            />
            {zoneField('digestTimeZone', d?.mode === 'daily' ? d.timeZone : undefined)}
          </>
        ) : null}
      </div>
      <label htmlFor={`${p}-quiet`} style={{ display: 'flex', gap: 6, alignItems: 'center', marginTop: 10 }}>
        <input
          id={`${p}-quiet`}
          type="checkbox"
          name="quiet"
          checked={quiet}
          onChange={(e) => setQuiet(e.target.checked)}
        />
        <span>Quiet hours</span>
      </label>
      {quiet ? (
        <>
          <span className="field-hint" style={{ display: 'block', margin: '4px 0 6px' }}>
            During quiet hours, alerts less severe than the level below are held and sent when the quiet hours
            end: as one digest, or to PagerDuty and Opsgenie as one incident per alert group with the count
            held; that level and more severe ones still go at once. An end not after the start runs into the
            next day (22:00 to 07:00). A digest due during quiet hours waits for their end.
          </span>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 12 }}>
            <Field
              idPrefix={p}
              name="quietStart"
              label="From"
              type="time"
              defaultValue={q?.start ?? '22:00'}
            />
            <Field idPrefix={p} name="quietEnd" label="To" type="time" defaultValue={q?.end ?? '07:00'} />
            {zoneField('quietTimeZone', q?.timeZone)}
            <Select
              idPrefix={p}
              name="quietPass"
              label="Still send at once from"
              defaultValue={(q?.passPriority ?? 'critical') as PriorityName}
              options={PRIORITY_NAMES.map((v) => ({ value: v, label: `${v} and above` }))}
            />
          </div>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: 10, marginTop: 6 }}>
            <span className="field-label">Starting on</span>
            {DAYS.map((name, i) => (
              <label key={name} style={{ display: 'flex', gap: 4, alignItems: 'center' }}>
                <input
                  type="checkbox"
                  name="quietDays"
                  value={i}
                  defaultChecked={q ? q.days.includes(i) : true}
                />
                {name}
              </label>
            ))}
            <label style={{ display: 'flex', gap: 4, alignItems: 'center' }}>
              <input type="checkbox" name="quietWeekends" defaultChecked={q ? q.weekends : true} />
              all weekend
            </label>
          </div>
        </>
      ) : null}
    </fieldset>
  );
}

const dayNames = (days: readonly number[]) => {
  const sorted = [...days].sort();
  if (sorted.join() === '1,2,3,4,5') return 'Mon–Fri';
  if (sorted.length === 7) return 'daily';
  return sorted.map((i) => DAYS[i]).join(' ');
};

/** A route's delivery in one line (what the list shows). */
export function describeDelivery(route: Route): string {
  const parts: string[] = [];
  const d = route.digest;
  if (d?.mode === 'interval')
    parts.push(`digest every ${d.minutes % 60 === 0 ? `${d.minutes / 60} h` : `${d.minutes} min`}`);
  else if (d?.mode === 'daily') parts.push(`daily digest ${d.at} ${d.timeZone}`);
  else
    parts.push(
      route.throttleSeconds === 0
        ? 'every alert'
        : `1 per group / ${Math.round(route.throttleSeconds / 60)} min`,
    );
  const q = route.quietHours;
  if (q) {
    const when = [
      q.days.length ? `${q.start}–${q.end} ${dayNames(q.days)}` : '',
      q.weekends ? 'weekends' : '',
    ]
      .filter(Boolean)
      .join(', ');
    parts.push(`quiet ${when} (${q.timeZone}), below ${q.passPriority} held`);
  }
  return parts.join('; ');
}
