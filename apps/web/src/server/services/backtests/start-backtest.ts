import 'server-only';
import {
  createBacktestJob,
  getBacktestJob,
  getOrganizationEnvironment,
  getRuleSetVersion,
  listEnvironmentActivations,
  listEnvironmentOverrides,
} from '@peregrine/db';
import { builtinSources } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { withDbErrors } from '../../errors/error-mapping';
import { actorOf, flatDiagnostics, loadLayered, overridesOf, type RulesCaller } from '../rules/rules-shared';
import { type BacktestView, backtestView } from './backtest-view';

/** Event sources a backtest can replay: the engine's. */
export const BACKTEST_SOURCES: readonly string[] = builtinSources().map((s) => s.name);

/**
 * Queues a backtest of a version against what an environment runs: the environment's active
 * version of the same rule set (none: every alert of the version is new), both with the
 * environment's list and macro overrides as they are now (kept with the job, as activation would
 * apply them), over the environment's stored events of `sources` (empty: all) between `from` and
 * `to`. A collector runs it; the job's page follows it. Audited (`backtest.start`).
 */
export async function startBacktest(
  caller: RulesCaller,
  input: { versionId: string; environmentId: string; sources: string[]; from: Date; to: Date },
): Promise<BacktestView> {
  const [version, environment] = await Promise.all([
    getRuleSetVersion(db(), caller.organizationId, input.versionId),
    getOrganizationEnvironment(db(), caller.organizationId, input.environmentId),
  ]);
  if (!version) throw new AppError('NOT_FOUND', 'Version not found.');
  if (!environment) throw new AppError('NOT_FOUND', 'Environment not found.');
  const unknown = input.sources.filter((s) => !BACKTEST_SOURCES.includes(s));
  if (unknown.length > 0) throw new AppError('INVALID_INPUT', `Unknown event source: ${unknown.join(', ')}.`);
  if (input.from.getTime() >= input.to.getTime())
    throw new AppError('INVALID_INPUT', 'The time range must end after it starts.');
  const [activations, overrideRows] = await Promise.all([
    listEnvironmentActivations(db(), caller.organizationId, version.ruleSetId),
    listEnvironmentOverrides(db(), {
      organizationId: caller.organizationId,
      ruleSetId: version.ruleSetId,
      environmentId: environment.id,
    }),
  ]);
  const overrides = overridesOf(overrideRows);
  const layered = loadLayered(version.files, overrides);
  if (!layered.ok) {
    const first = flatDiagnostics(layered).find((d) => d.severity === 'error');
    throw new AppError(
      'INVALID_INPUT',
      `Version ${version.number} does not compile with ${environment.displayName}'s overrides${
        first ? `: ${first.file}:${first.line}: ${first.message}` : '.'
      }`,
    );
  }
  const active = activations.find((a) => a.environmentId === environment.id)?.active ?? null;
  const id = await withDbErrors(() =>
    createBacktestJob(
      db(),
      {
        organizationId: caller.organizationId,
        environmentId: environment.id,
        ruleSetId: version.ruleSetId,
        draftVersionId: version.id,
        baselineVersionId: active?.versionId ?? null,
        overrides: {
          lists: Object.fromEntries(Object.entries(overrides.lists ?? {}).map(([k, v]) => [k, [...v]])),
          macros: { ...overrides.macros },
        },
        sources: [...new Set(input.sources)].sort(),
        from: input.from,
        to: input.to,
        createdById: caller.actor.userId,
        createdByApiKeyId: caller.actor.apiKeyId,
      },
      actorOf(caller),
    ),
  );
  const job = await getBacktestJob(db(), caller.organizationId, id);
  if (!job) throw new AppError('NOT_FOUND', 'Backtest not found.');
  return backtestView(job);
}
