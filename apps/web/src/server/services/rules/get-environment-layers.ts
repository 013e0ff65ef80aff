import 'server-only';
import {
  type ActorRef,
  type EnvironmentOverrideRow,
  type ExceptionItemDto,
  getOrganizationEnvironment,
  getRuleSet,
  getRuleSetVersion,
  listEnvironmentActivations,
  listEnvironmentOverrides,
} from '@peregrine/db';
import { type ExceptionComp, exceptionYaml } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { rulesUsing } from './rule-references';
import { loadLayered } from './rules-shared';

export interface LayeredItem {
  kind: 'list' | 'macro';
  name: string;
  /** The value in the active version. */
  base: string[] | string;
  /** The environment's replacement, or null when the base applies. */
  override: {
    value: string[] | string;
    updatedAt: Date;
    updatedBy: ActorRef | null;
  } | null;
  /** Rules that reference it (directly or through macros), from the compiled base. */
  usedBy: string[];
}

/** An exception the environment appends to a rule of the active version. */
export interface LayeredException {
  name: string;
  rule: string;
  items: ExceptionItemDto[];
  /** The Falco rules-file item the collector appends. */
  yaml: string;
  updatedAt: Date;
  updatedBy: ActorRef | null;
}

export interface EnvironmentLayers {
  ruleSet: { id: string; name: string };
  environment: { id: string; name: string; displayName: string };
  /** The active version the overrides are layered over (null: nothing active there yet). */
  active: { versionId: string; number: number } | null;
  items: LayeredItem[];
  /** Exceptions the environment appends to rules (see LayeredException). */
  exceptions: LayeredException[];
  /** Overrides whose list or macro the active version no longer defines. */
  orphans: (EnvironmentOverrideRow & { kind: 'list' | 'macro' })[];
  /** The active version's files, so the browser can validate edits with the engine before saving. */
  files: { name: string; content: string }[];
}

/** The lists and macros of the rule set active in an environment, each with its base value and override. */
export async function getEnvironmentLayers(
  organizationId: string,
  input: { ruleSetId: string; environmentId: string },
): Promise<EnvironmentLayers> {
  const [ruleSet, environment] = await Promise.all([
    getRuleSet(db(), organizationId, input.ruleSetId),
    getOrganizationEnvironment(db(), organizationId, input.environmentId),
  ]);
  if (!ruleSet) throw new AppError('NOT_FOUND', 'Rule set not found.');
  if (!environment) throw new AppError('NOT_FOUND', 'Environment not found.');
  const active = (await listEnvironmentActivations(db(), organizationId, ruleSet.id)).find(
    (e) => e.environmentId === environment.id,
  )?.active;
  const [version, rows] = await Promise.all([
    active ? getRuleSetVersion(db(), organizationId, active.versionId) : null,
    listEnvironmentOverrides(db(), { organizationId, ruleSetId: ruleSet.id, environmentId: environment.id }),
  ]);
  const base = version ? loadLayered(version.files, {}) : null;
  const items: LayeredItem[] = [];
  const defined = new Set<string>();
  if (base) {
    const usedBy = rulesUsing(base.ruleset.rules, base.macros);
    const overrideOf = (kind: 'list' | 'macro', name: string) => {
      const row = rows.find((r) => r.kind === kind && r.name === name);
      if (!row) return null;
      return {
        value: kind === 'list' ? row.items : (row.condition ?? ''),
        updatedAt: row.updatedAt,
        updatedBy: row.updatedBy,
      };
    };
    for (const list of base.lists) {
      defined.add(`list:${list.name}`);
      items.push({
        kind: 'list',
        name: list.name,
        base: [...list.items],
        override: overrideOf('list', list.name),
        usedBy: usedBy(list.name),
      });
    }
    for (const macro of base.macros) {
      defined.add(`macro:${macro.name}`);
      items.push({
        kind: 'macro',
        name: macro.name,
        base: macro.condition,
        override: overrideOf('macro', macro.name),
        usedBy: usedBy(macro.name),
      });
    }
  }
  return {
    ruleSet: { id: ruleSet.id, name: ruleSet.name },
    environment: { id: environment.id, name: environment.name, displayName: environment.displayName },
    active: version ? { versionId: version.id, number: version.number } : null,
    items,
    exceptions: rows.flatMap((r) =>
      r.kind === 'exception' && r.rule && r.exception
        ? [
            {
              name: r.name,
              rule: r.rule,
              items: r.exception,
              yaml: exceptionYaml({
                rule: r.rule,
                name: r.name,
                items: r.exception.map((i) => ({ ...i, comp: i.comp as ExceptionComp })),
              }),
              updatedAt: r.updatedAt,
              updatedBy: r.updatedBy,
            },
          ]
        : [],
    ),
    orphans: rows.filter(
      (r): r is EnvironmentOverrideRow & { kind: 'list' | 'macro' } =>
        r.kind !== 'exception' && !defined.has(`${r.kind}:${r.name}`),
    ),
    files: version?.files ?? [],
  };
}
