import 'server-only';
import { getDashboardBasics } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { listEnvironments } from '../environment/list-environments';

export interface DashboardOverview {
  environment: { id: string; name: string; displayName: string } | null;
  hasAlerts: boolean;
  sensors: number;
  cloudSources: number;
}

/** What the dashboard needs to decide between its empty state and its charts. */
export async function getDashboardOverview(input: {
  organizationId: string;
  environmentName: string | null;
}): Promise<DashboardOverview> {
  let environment: DashboardOverview['environment'] = null;
  if (input.environmentName) {
    const environments = await listEnvironments(input.organizationId);
    environment = environments.find((e) => e.name === input.environmentName) ?? null;
    if (!environment) throw new AppError('NOT_FOUND', `No environment named "${input.environmentName}".`);
  }
  const basics = await getDashboardBasics(db(), {
    organizationId: input.organizationId,
    environmentId: environment?.id,
  });
  return { environment, ...basics };
}
