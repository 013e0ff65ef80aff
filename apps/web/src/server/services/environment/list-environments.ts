import 'server-only';
import { listEnvironments as listEnvironmentRows } from '@peregrine/db';
import { db } from '../../db';

export interface EnvironmentItem {
  id: string;
  name: string;
  displayName: string;
}

/** The organisation's environments in console order. */
export async function listEnvironments(organizationId: string): Promise<EnvironmentItem[]> {
  const rows = await listEnvironmentRows(db(), organizationId);
  return rows.map(({ id, name, displayName }) => ({ id, name, displayName }));
}
