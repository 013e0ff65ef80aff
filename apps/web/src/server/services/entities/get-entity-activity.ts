import 'server-only';
import { type EntityDto, findEntity, getEntityActivity as readEntityActivity } from '@peregrine/db';
import { db } from '../../db';
import { withDbErrors } from '../../errors/error-mapping';
import { type ActivityItemView, activityItemView } from './activity-items';

/** Everything that named an entity of `environment` in the `hours` before `to`, newest first. */
export async function getEntityActivity(input: {
  organizationId: string;
  environment: { id: string; name: string };
  kind: string;
  value: string;
  hours: number;
  to: Date;
  limit: number;
}): Promise<{
  entity: EntityDto | null;
  environmentName: string;
  items: ActivityItemView[];
  truncated: boolean;
  from: Date;
  to: Date;
}> {
  const from = new Date(input.to.getTime() - input.hours * 3_600_000);
  const entity = await withDbErrors(() =>
    findEntity(db(), {
      organizationId: input.organizationId,
      environmentId: input.environment.id,
      kind: input.kind,
      value: input.value,
    }),
  );
  const activity = entity
    ? await withDbErrors(() =>
        readEntityActivity(db(), {
          organizationId: input.organizationId,
          entityIds: [entity.id],
          from,
          to: input.to,
          limit: input.limit,
        }),
      )
    : { items: [], truncated: false };
  return {
    entity,
    environmentName: input.environment.name,
    items: activity.items.map(activityItemView),
    truncated: activity.truncated,
    from,
    to: input.to,
  };
}
