import 'server-only';
import { type EntityDto, getAlertEntities, getEntityActivity } from '@peregrine/db';
import { type ProcessNode, processTree } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import { type ActivityItemView, activityItemView } from './activity-items';

/** Items of related activity shown at most (the entity pages list more). */
const RELATED_LIMIT = 50;

/**
 * An alert's entities, the alerts and raw events that named any of them within `windowMinutes`
 * of it (itself left out), and the process tree of its output fields. NOT_FOUND outside the
 * organisation.
 */
export async function getAlertContext(input: {
  organizationId: string;
  id: string;
  windowMinutes: number;
}): Promise<{
  entities: EntityDto[];
  related: ActivityItemView[];
  truncated: boolean;
  from: Date;
  to: Date;
  processTree: ProcessNode[];
}> {
  const found = await withDbErrors(() => getAlertEntities(db(), input.organizationId, input.id));
  if (!found) throw new AppError('NOT_FOUND', `Alert ${input.id} does not exist.`);
  const at = found.alert.eventTime.getTime();
  const from = new Date(at - input.windowMinutes * 60_000);
  const to = new Date(at + input.windowMinutes * 60_000 + 1);
  const activity = await withDbErrors(() =>
    getEntityActivity(db(), {
      organizationId: input.organizationId,
      entityIds: found.entities.map((e) => e.id),
      from,
      to,
      limit: RELATED_LIMIT,
      excludeAlertId: input.id,
    }),
  );
  return {
    entities: found.entities,
    related: activity.items.map(activityItemView),
    truncated: activity.truncated,
    from,
    to,
    processTree: processTree(found.alert.outputFields),
  };
}
