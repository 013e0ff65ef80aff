import 'server-only';
import { incidentEnvironment } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** The environment of an organisation's incident (for permission checks); NOT_FOUND otherwise. */
export async function incidentEnvironmentId(organizationId: string, id: string): Promise<string> {
  const found = await incidentEnvironment(db(), organizationId, id);
  if (!found) throw new AppError('NOT_FOUND', `Incident ${id} does not exist.`);
  return found.environmentId;
}
