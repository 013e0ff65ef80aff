import 'server-only';
import { deleteEnvironmentOverride, saveEnvironmentOverride as saveOverrideRow } from '@peregrine/db';
import { type ExceptionProposal, proposeException, type VerdictDiagnostic } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { getEnvironmentLayers } from './get-environment-layers';
import { actorOf, flatDiagnostics, loadLayered, overridesOf, type RulesCaller } from './rules-shared';

export type OverrideChange =
  | { kind: 'list'; name: string; items: string[] }
  | { kind: 'macro'; name: string; condition: string }
  | { kind: 'exception'; name: string; rule: string; items: ExceptionProposal['items'] };

export type OverrideKind = OverrideChange['kind'];

export type OverrideSaveResult =
  | { saved: true; diagnostics: VerdictDiagnostic[] }
  | { saved: false; diagnostics: VerdictDiagnostic[] };

type Row = Parameters<typeof overridesOf>[0][number];

/**
 * Validates the active version with the environment's overrides after the change (the merged
 * rules must compile, exactly as the collector will load them) and only then stores it. A
 * concurrent activation between the check and the write is caught by the check at activation
 * time, which validates the new version against these overrides.
 */
async function applyChange(
  caller: RulesCaller,
  input: { ruleSetId: string; environmentId: string },
  change: OverrideChange | { kind: OverrideKind; name: string; remove: true },
): Promise<OverrideSaveResult> {
  const layers = await getEnvironmentLayers(caller.organizationId, input);
  if (!layers.active) {
    throw new AppError(
      'CONFLICT',
      `Nothing of this rule set is active in ${layers.environment.displayName} yet.`,
    );
  }
  const isRemove = 'remove' in change;
  if (!isRemove && change.kind === 'exception') {
    const base = loadLayered(layers.files, {});
    const rule = base.ruleset.rules.find((r) => r.name === change.rule);
    if (!rule) {
      throw new AppError('NOT_FOUND', `The active version defines no rule named '${change.rule}'.`);
    }
    const checked = proposeException(
      { rule: change.rule, name: change.name, items: change.items },
      rule.source,
    );
    if (!checked.ok) throw new AppError('INVALID_INPUT', checked.error);
    const clash = layers.exceptions.find((e) => e.name === change.name && e.rule !== change.rule);
    if (clash) {
      throw new AppError(
        'CONFLICT',
        `${layers.environment.displayName} already has an exception named '${change.name}' (on '${clash.rule}'); choose another name.`,
      );
    }
  } else if (!isRemove) {
    const exists = layers.items.some((i) => i.kind === change.kind && i.name === change.name);
    if (!exists) {
      throw new AppError('NOT_FOUND', `The active version defines no ${change.kind} named '${change.name}'.`);
    }
  }
  const same = (kind: OverrideKind, name: string) => kind === change.kind && name === change.name;
  const rows: Row[] = [
    ...layers.items
      .filter((i) => i.override && !same(i.kind, i.name))
      .map((i) => ({
        kind: i.kind,
        name: i.name,
        items: Array.isArray(i.override?.value) ? i.override.value : [],
        condition: typeof i.override?.value === 'string' ? i.override.value : null,
      })),
    ...layers.exceptions
      .filter((e) => !same('exception', e.name))
      .map((e) => ({
        kind: 'exception' as const,
        name: e.name,
        items: [],
        condition: null,
        rule: e.rule,
        exception: e.items,
      })),
  ];
  if (!isRemove) {
    rows.push(
      change.kind === 'list'
        ? { kind: 'list', name: change.name, items: change.items, condition: null }
        : change.kind === 'macro'
          ? { kind: 'macro', name: change.name, items: [], condition: change.condition }
          : {
              kind: 'exception',
              name: change.name,
              items: [],
              condition: null,
              rule: change.rule,
              exception: change.items.map((i) => ({
                ...i,
                value: typeof i.value === 'string' ? i.value : [...i.value],
              })),
            },
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
      change.kind === 'list'
        ? { ...key, items: change.items }
        : change.kind === 'macro'
          ? { ...key, condition: change.condition }
          : {
              ...key,
              rule: change.rule,
              exception: change.items.map((i) => ({
                field: i.field,
                comp: i.comp,
                value: typeof i.value === 'string' ? i.value : [...i.value],
              })),
            },
      actorOf(caller),
    );
    if (!row) throw new AppError('NOT_FOUND', 'Rule set or environment not found.');
  }
  return { saved: true, diagnostics };
}

/** Sets an environment's replacement of a list's items or a macro's condition, or an exception on a rule. */
export function saveEnvironmentOverride(
  caller: RulesCaller,
  input: { ruleSetId: string; environmentId: string; change: OverrideChange },
): Promise<OverrideSaveResult> {
  return applyChange(caller, input, input.change);
}

/** Removes an environment's override so the active version's value (or rule) applies again. */
export function removeEnvironmentOverride(
  caller: RulesCaller,
  input: { ruleSetId: string; environmentId: string; kind: OverrideKind; name: string },
): Promise<OverrideSaveResult> {
  return applyChange(caller, input, { kind: input.kind, name: input.name, remove: true });
}
