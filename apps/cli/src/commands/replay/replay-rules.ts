/**
 * The rules a replay runs, from data that can cross to a worker thread: the rules files, the load
 * options and the selection flags. Main thread and workers compile the same rule set from it.
 */
import {
  builtinSources,
  type LoadOptions,
  type LoadResult,
  load,
  type RuleSet,
  type RulesFile,
} from '@peregrine/engine';
import { cliCompileCache } from '../../compile-cache.js';
import type { ChunkContext } from './replay-chunk.js';

export interface RuleSelection {
  only?: string[] | undefined;
  disabledNames?: string[] | undefined;
  disabledTags?: string[] | undefined;
}

/** Everything a worker needs to replay chunks as the main thread would. */
export interface ReplaySetup {
  files: RulesFile[];
  load: Pick<LoadOptions, 'ruleMatching' | 'hostname' | 'timeFormatIso8601' | 'minPriority'>;
  select: RuleSelection;
  defaultSource: string;
  json: boolean;
  /** Parse every line, also those whose event no rule can match (`--parse-all`). */
  parseAll: boolean;
  /** CliEnv.compileCacheDir: the main thread compiles (or reads) once, workers read its entry. */
  compileCacheDir: string | undefined;
}

export function selectRules(ruleset: RuleSet, select: RuleSelection): RuleSet {
  let rs = ruleset;
  if (select.only) rs = rs.cleared().withEnabled({ tags: select.only }, true);
  for (const name of select.disabledNames ?? []) rs = rs.withEnabled({ name }, false);
  if (select.disabledTags) rs = rs.withEnabled({ tags: select.disabledTags }, false);
  return rs;
}

export function loadReplayRules(setup: ReplaySetup): { result: LoadResult; ruleset: RuleSet } {
  const cache = cliCompileCache(setup.compileCacheDir, (line) => process.stderr.write(line));
  const result = load(setup.files, cache ? { ...setup.load, cache } : setup.load);
  return { result, ruleset: selectRules(result.ruleset, setup.select) };
}

export function chunkContext(setup: ReplaySetup): ChunkContext {
  return {
    sourceNames: new Set(builtinSources().map((s) => s.name)),
    defaultSource: setup.defaultSource,
    parseAll: setup.parseAll,
  };
}
