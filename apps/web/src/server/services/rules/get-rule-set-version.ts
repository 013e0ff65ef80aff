import 'server-only';
import { getRuleSetVersion as getVersionRow, type RuleSetVersionDetail } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

/** One version with its files; another organisation's version is reported as not found. */
export async function getRuleSetVersion(
  organizationId: string,
  versionId: string,
): Promise<RuleSetVersionDetail> {
  const version = await getVersionRow(db(), organizationId, versionId);
  if (!version) throw new AppError('NOT_FOUND', 'Version not found.');
  return version;
}
