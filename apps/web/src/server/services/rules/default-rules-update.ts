import 'server-only';
import { createHash } from 'node:crypto';
import { DEFAULT_RULE_SET, getRuleSet, getRuleSetVersion, listRuleSetVersions } from '@peregrine/db';
import { compareRulesFiles } from '@peregrine/engine';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import { defaultRuleSet } from '../organization/default-rules';
import { createRuleSetVersion, type SavedVersion } from './create-rule-set-version';
import type { RulesCaller } from './rules-shared';

/** One shipped default file that differs from the rule set's latest version of it. */
export interface DefaultFileUpdate {
  name: string;
  /** `added`: the latest version has no file of that name. */
  change: 'added' | 'changed';
  /** Items (`rule: Name`, `macro: name`, `list: name`) the shipped file adds, drops and changes. */
  added: string[];
  removed: string[];
  changed: string[];
}

/** Peregrine's shipped default rules against the default rule set's latest version. */
export interface DefaultRulesUpdate {
  /** The version the update would be made from (a newer save makes it stale). */
  basedOn: { versionId: string; number: number };
  /** Identifies the shipped defaults (a dismissal holds until they change again). */
  release: string;
  files: DefaultFileUpdate[];
}

/** The shipped default files against one version of the default rule set; null when it holds them. */
async function updateAgainst(organizationId: string, versionId: string) {
  const version = await getRuleSetVersion(db(), organizationId, versionId);
  if (!version) return null;
  const shipped = (await defaultRuleSet()).files;
  const held = new Map(version.files.map((f) => [f.name, f.content]));
  const files: DefaultFileUpdate[] = [];
  for (const file of shipped) {
    const before = held.get(file.name) ?? null;
    if (before === file.content) continue;
    files.push({
      name: file.name,
      change: before === null ? 'added' : 'changed',
      ...compareRulesFiles(file.name, before, file.content),
    });
  }
  if (files.length === 0) return null;
  const release = createHash('sha256');
  for (const file of shipped) release.update(`${file.name}\0${file.content}\0`);
  const update: DefaultRulesUpdate = {
    basedOn: { versionId: version.id, number: version.number },
    release: release.digest('hex').slice(0, 16),
    files,
  };
  return { update, version, shipped };
}

/** `updateAgainst` the latest version of a rule set, if it is the default one. */
async function latestUpdate(organizationId: string, ruleSetId: string) {
  const set = await getRuleSet(db(), organizationId, ruleSetId);
  if (!set) throw new AppError('NOT_FOUND', 'Rule set not found.');
  if (set.name !== DEFAULT_RULE_SET.name) return null;
  const [latest] = await listRuleSetVersions(db(), organizationId, ruleSetId);
  return latest ? updateAgainst(organizationId, latest.id) : null;
}

/**
 * For the organisation's default rule set ("Peregrine defaults"): the default files this release
 * of Peregrine ships that its latest version lacks or holds otherwise. Null for any other rule
 * set, one without versions, or one whose latest version holds the shipped files as they are.
 * Organisations keep the defaults they were created with until someone takes an update.
 */
export async function getDefaultRulesUpdate(
  organizationId: string,
  ruleSetId: string,
): Promise<DefaultRulesUpdate | null> {
  return (await latestUpdate(organizationId, ruleSetId))?.update ?? null;
}

/** Whether this release ships default rules that `latestVersionId` (the default rule set's head) lacks. */
export async function hasDefaultRulesUpdate(
  organizationId: string,
  latestVersionId: string,
): Promise<boolean> {
  return (await updateAgainst(organizationId, latestVersionId)) !== null;
}

/**
 * Saves the default rule set's next version with the shipped default files in place of its own
 * copies (files it has of its own stay as they are, and new default files go last). Like any
 * save, it is judged by the engine and activates nowhere: the promotion review shows each file
 * against what an environment runs. Refused when the rule set has a version newer than
 * `basedOnVersionId` (the update shown was of an older head) or is up to date.
 */
export async function takeDefaultRulesUpdate(
  caller: RulesCaller,
  input: { ruleSetId: string; basedOnVersionId: string },
): Promise<SavedVersion> {
  const found = await latestUpdate(caller.organizationId, input.ruleSetId);
  if (!found)
    throw new AppError('CONFLICT', "This rule set already holds Peregrine's current default rules.");
  const { update, version } = found;
  if (update.basedOn.versionId !== input.basedOnVersionId)
    throw new AppError(
      'CONFLICT',
      `Version ${update.basedOn.number} was saved since: reload to see what the update changes against it.`,
    );
  const shipped = new Map(found.shipped.map((f) => [f.name, f.content]));
  const files = version.files.map((f) => ({ name: f.name, content: shipped.get(f.name) ?? f.content }));
  const held = new Set(files.map((f) => f.name));
  for (const [name, content] of shipped) if (!held.has(name)) files.push({ name, content });
  const counts = (key: 'added' | 'removed' | 'changed') =>
    update.files.reduce((n, f) => n + f[key].length, 0);
  const message = `Peregrine default rules updated (${update.files.map((f) => f.name).join(', ')}): ${counts('added')} added, ${counts('changed')} changed, ${counts('removed')} removed`;
  return createRuleSetVersion(caller, { ruleSetId: input.ruleSetId, files, message: message.slice(0, 500) });
}
