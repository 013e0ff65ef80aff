import 'server-only';
import { deleteEnvironmentOverride, saveEnvironmentOverride as saveOverrideRow } from '@peregrine/db';
import type { VerdictDiagnostic } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { getEnvironmentLayers } from './get-environment-layers';
import { actorOf, flatDiagnostics, loadLayered, overridesOf, type RulesCaller } from './rules-shared';

export type OverrideChange =
  | { kind: 'list'; name: string; items: string[] }
  | { kind: 'macro'; name: string; condition: string };

export type OverrideSaveResult =
  | { saved: true; diagnostics: VerdictDiagnostic[] }
  | { saved: false; diagnostics: VerdictDiagnostic[] };

/**
 * Validates the active version with the environment's overrides after the change (the merged
 * rules must compile, exactly as the collector will load them) and only then stores it. A
 * concurrent activation between the check and the write is caught by the check at activation
 * time, which validates the new version against these overrides.
 */
async function applyChange(
  caller: RulesCaller,
  input: { ruleSetId: string; environmentId: string },
  change: OverrideChange | { kind: 'list' | 'macro'; name: string; remove: true },
): Promise<OverrideSaveResult> {
  const layers = await getEnvironmentLayers(caller.organizationId, input);
  if (!layers.active) {
    throw new AppError(
      'CONFLICT',
      `Nothing of this rule set is active in ${layers.environment.displayName} yet.`,
    );
  }
  const exists = layers.items.some((i) => i.kind === change.kind && i.name === change.name);
  const isRemove = 'remove' in change;
  if (!exists && !isRemove) {
    throw new AppError('NOT_FOUND', `The active version defines no ${change.kind} named '${change.name}'.`);
  }
  const rows = layers.items
    .filter((i) => i.override && !(i.kind === change.kind && i.name === change.name))
    .map((i) => ({
      kind: i.kind,
      name: i.name,
      items: Array.isArray(i.override?.value) ? i.override.value : [],
      condition: typeof i.override?.value === 'string' ? i.override.value : null,
    }));
  if (!isRemove) {
    rows.push(
      change.kind === 'list'
        ? { kind: 'list', name: change.name, items: change.items, condition: null }
        : { kind: 'macro', name: change.name, items: [], condition: change.condition },
    );
  }
  const merged = loadLayered(layers.files, overridesOf(rows));
  const diagnostics = flatDiagnostics(merged);
  if (!merged.ok) return { saved: false, diagnostics };
  const key = {
    organizationId: caller.organizationId,
    environmentId: input.environmentId,
    ruleSetId: input.ruleSetId,
    kind: change.kind,
    name: change.name,
  };
  if (isRemove) {
    if (!(await deleteEnvironmentOverride(db(), key, actorOf(caller)))) {
      throw new AppError(
        'NOT_FOUND',
        `${layers.environment.displayName} has no override of '${change.name}'.`,
      );
    }
  } else {
    const row = await saveOverrideRow(
      db(),
      change.kind === 'list' ? { ...key, items: change.items } : { ...key, condition: change.condition },
      actorOf(caller),
    );
    if (!row) throw new AppError('NOT_FOUND', 'Rule set or environment not found.');
  }
  return { saved: true, diagnostics };
}

/** Sets an environment's replacement of a list's items or a macro's condition. */
export function saveEnvironmentOverride(
  caller: RulesCaller,
  input: { ruleSetId: string; environmentId: string; change: OverrideChange },
): Promise<OverrideSaveResult> {
  return applyChange(caller, input, input.change);
}

/** Removes an environment's override so the active version's value applies again. */
export function removeEnvironmentOverride(
  caller: RulesCaller,
  input: { ruleSetId: string; environmentId: string; kind: 'list' | 'macro'; name: string },
): Promise<OverrideSaveResult> {
  return applyChange(caller, input, { kind: input.kind, name: input.name, remove: true });
}
