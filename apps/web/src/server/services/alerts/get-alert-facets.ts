import 'server-only';
import { getAlertFacets as getAlertFacetRows } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { listEnvironments } from '../environment/list-environments';

/** Values the filter bar suggests: rules, sources, hosts and tags seen in the organisation. */
export async function getAlertFacets(input: {
  organizationId: string;
  environment: string | null;
}): Promise<{ rules: string[]; sources: string[]; hostnames: string[]; tags: string[] }> {
  let environmentIds: string[] | undefined;
  if (input.environment) {
    const environment = (await listEnvironments(input.organizationId)).find(
      (e) => e.name === input.environment,
    );
    if (!environment) throw new AppError('NOT_FOUND', `No environment named "${input.environment}".`);
    environmentIds = [environment.id];
  }
  return getAlertFacetRows(db(), { organizationId: input.organizationId, environmentIds });
}
