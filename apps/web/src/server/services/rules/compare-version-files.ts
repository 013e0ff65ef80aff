import 'server-only';
import { getOrganizationEnvironment, getRuleSetVersion, listEnvironmentActivations } from '@peregrine/db';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';

export type FileChange = 'added' | 'removed' | 'changed' | 'unchanged';

export interface VersionFilesComparison {
  environment: { id: string; displayName: string };
  before: { versionId: string; number: number } | null;
  after: { versionId: string; number: number };
  files: { name: string; change: FileChange; before: string | null; after: string | null }[];
}

/**
 * Pairs each file of `versionId` with the same file of the version of its rule set that
 * `environmentId` runs now (a promotion, an activation or a rollback replaces one with the other):
 * the candidate's files in their order, then those only the running version has. With nothing
 * active there, every file is new.
 */
export async function compareVersionFiles(
  organizationId: string,
  input: { versionId: string; environmentId: string },
): Promise<VersionFilesComparison> {
  const [candidate, environment] = await Promise.all([
    getRuleSetVersion(db(), organizationId, input.versionId),
    getOrganizationEnvironment(db(), organizationId, input.environmentId),
  ]);
  if (!candidate) throw new AppError('NOT_FOUND', 'Version not found.');
  if (!environment) throw new AppError('NOT_FOUND', 'Environment not found.');
  const active = (await listEnvironmentActivations(db(), organizationId, candidate.ruleSetId)).find(
    (e) => e.environmentId === environment.id,
  )?.active;
  const current = active ? await getRuleSetVersion(db(), organizationId, active.versionId) : null;
  const running = new Map((current?.files ?? []).map((f) => [f.name, f.content]));
  const names = new Set(candidate.files.map((f) => f.name));
  const files: VersionFilesComparison['files'] = candidate.files.map((f) => {
    const before = running.get(f.name) ?? null;
    const change: FileChange = before === null ? 'added' : before === f.content ? 'unchanged' : 'changed';
    return { name: f.name, change, before, after: f.content };
  });
  for (const f of current?.files ?? []) {
    if (!names.has(f.name)) files.push({ name: f.name, change: 'removed', before: f.content, after: null });
  }
  return {
    environment: { id: environment.id, displayName: environment.displayName },
    before: current ? { versionId: current.id, number: current.number } : null,
    after: { versionId: candidate.id, number: candidate.number },
    files,
  };
}
