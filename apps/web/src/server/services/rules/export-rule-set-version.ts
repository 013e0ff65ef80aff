import 'server-only';
import { getRuleSetVersion } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { type ArchiveFormat, writeRulesArchive } from './rules-archive';

/** A download name made of the rule set's name and version: letters, digits, dot, dash, underscore. */
export function archiveFileName(ruleSetName: string, number: number, format: ArchiveFormat): string {
  const base = ruleSetName
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 80);
  return `${base || 'rules'}-v${number}.${format}`;
}

/**
 * A version's files as a Falco rules folder in one archive: `falco -r <unpacked folder>` loads
 * the rules as the collector does (tests/ is a subfolder, which Falco does not read).
 */
export async function exportRuleSetVersion(
  organizationId: string,
  input: { versionId: string; format: ArchiveFormat },
): Promise<{ fileName: string; bytes: Uint8Array }> {
  const version = await getRuleSetVersion(db(), organizationId, input.versionId);
  if (!version) throw new AppError('NOT_FOUND', 'Version not found.');
  return {
    fileName: archiveFileName(version.ruleSetName, version.number, input.format),
    bytes: writeRulesArchive(version.files, input.format),
  };
}
