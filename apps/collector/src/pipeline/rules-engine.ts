import type { EnvironmentRules } from '@peregrine/db';
import {
  builtinSources,
  type CompileCache,
  type Alert as EngineAlert,
  environmentOverrides,
  loadWithOverrides,
  type RuleSet,
  syscallEventTypeNeeds,
} from '@peregrine/engine';

export type { EngineAlert };

/** The engine's sources, built once per process (field tables are immutable). */
const SOURCES = builtinSources();

/** Source names the engine evaluates; events of other sources are refused at ingest. */
export const KNOWN_SOURCES: ReadonlySet<string> = new Set(SOURCES.map((s) => s.name));

/** Why one rule set of an environment could not be compiled (it is then left out, not half-run). */
export interface RuleSetProblem {
  ruleSetId: string;
  name: string;
  messages: string[];
}

/** An environment's rules compiled for evaluation; immutable, swapped whole on change. */
export interface CompiledEnvironment {
  environmentId: string;
  organizationId: string;
  stamp: string;
  /** Evaluates one event against every active rule set of the environment. */
  evaluate(event: unknown, source: string): EngineAlert[];
  /**
   * False when no active rule can match a syscall event of this type (the engine's event-type
   * index): `evaluate` of such an event returns nothing, so it need not be built.
   */
  mayMatchSyscallType(type: string): boolean;
  /** Syscall event types the rules can match; null when some rule matches any type. */
  eventTypes: string[] | null;
  /** Syscall event types the rules name (also when `eventTypes` is null): what sensors must capture. */
  ruleEventTypes: string[];
  ruleCount: number;
  /** Names of the enabled rules, per source (why a test event raised nothing). */
  activeRules: ReadonlyMap<string, ReadonlySet<string>>;
  problems: RuleSetProblem[];
}

/**
 * Compiles an environment's active rule sets (each with its overrides) with the engine; with
 * `cache`, rule sets compiled before (by this process or an earlier one) are read from it.
 */
export function compileEnvironment(rules: EnvironmentRules, cache?: CompileCache): CompiledEnvironment {
  const sets: RuleSet[] = [];
  const problems: RuleSetProblem[] = [];
  for (const rs of rules.ruleSets) {
    const result = loadWithOverrides(rs.files, environmentOverrides(rs.overrides), {
      sources: SOURCES,
      ...(cache ? { cache } : {}),
    });
    if (!result.ok) {
      problems.push({
        ruleSetId: rs.ruleSetId,
        name: rs.name,
        messages: result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
      });
      continue;
    }
    sets.push(result.ruleset);
  }
  const active = sets.flatMap((set) => set.activeRules);
  const needs = syscallEventTypeNeeds(active);
  const activeRules = new Map<string, Set<string>>();
  for (const r of active) {
    const names = activeRules.get(r.source) ?? new Set<string>();
    names.add(r.name);
    activeRules.set(r.source, names);
  }
  const evaluate =
    sets.length === 1
      ? (event: unknown, source: string) => sets[0]!.evaluate(event, source)
      : (event: unknown, source: string) => {
          const out: EngineAlert[] = [];
          for (const s of sets) for (const a of s.evaluate(event, source)) out.push(a);
          return out;
        };
  const typeVerdicts = new Map<string, boolean>();
  const mayMatchSyscallType = (type: string): boolean => {
    let may = typeVerdicts.get(type);
    if (may === undefined) {
      may = sets.some((s) => s.mayMatchEventType(type, 'syscall'));
      // Types come from senders: bounded, so a stream of made-up ones cannot grow it for ever.
      if (typeVerdicts.size < 4096) typeVerdicts.set(type, may);
    }
    return may;
  };
  return {
    environmentId: rules.environmentId,
    organizationId: rules.organizationId,
    stamp: rules.stamp,
    evaluate,
    mayMatchSyscallType,
    eventTypes: needs.unrestricted.length > 0 ? null : needs.named,
    ruleEventTypes: needs.named,
    ruleCount: active.length,
    activeRules,
    problems,
  };
}
