import 'server-only';
import type { EntityActivityItem } from '@peregrine/db';
import { type EventSummary, rawEventSummary } from '@peregrine/engine';

/** An activity item as the console gets it: raw events summarised, never sent whole. */
export interface ActivityItemView {
  ref: 'alert' | 'raw';
  id: string;
  source: string;
  eventTime: Date;
  entityIds: string[];
  alert: NonNullable<EntityActivityItem['alert']> | null;
  summary: EventSummary | null;
}

export function activityItemView(item: EntityActivityItem): ActivityItemView {
  return {
    ref: item.ref,
    id: item.id,
    source: item.source,
    eventTime: item.eventTime,
    entityIds: item.entityIds,
    alert: item.alert ?? null,
    summary: item.ref === 'raw' ? rawEventSummary(item.source, item.payload) : null,
  };
}
