import 'server-only';
import type { Actor } from '@peregrine/db';
import {
  type EnvironmentOverrides,
  environmentOverrides,
  judgeRuleFiles,
  type LoadResult,
  loadWithOverrides,
  type OverrideRow,
  type RulesFile,
  type VerdictDiagnostic,
} from '@peregrine/engine';

/** Who is acting, for the audit log. */
export interface RulesCaller {
  organizationId: string;
  /**
   * A signed-in member, or an API key (exactly one of the two ids is set), with the client's
   * address as clientAddress() resolved it (never X-Forwarded-For as the client sent it).
   */
  actor: { userId: string | null; apiKeyId: string | null; ip?: string | null; userAgent?: string | null };
}

/** The audit actor of a console caller. */
export function actorOf(caller: RulesCaller): Actor {
  return {
    userId: caller.actor.userId,
    apiKeyId: caller.actor.apiKeyId,
    ip: caller.actor.ip ?? null,
    userAgent: caller.actor.userAgent ?? null,
  };
}

/** Override rows as the engine's layering input (the same mapping the collector applies). */
export function overridesOf(rows: readonly OverrideRow[]): EnvironmentOverrides {
  return environmentOverrides(rows);
}

/** Loads a version's files with an environment's overrides, as the collector will. */
export function loadLayered(files: readonly RulesFile[], overrides: EnvironmentOverrides): LoadResult {
  return loadWithOverrides(files, overrides);
}

/** Flat, JSON-safe diagnostics of a load (the same shape versions store). */
export function flatDiagnostics(result: LoadResult): VerdictDiagnostic[] {
  return result.diagnostics.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.range.file,
    line: d.range.start.line,
    column: d.range.start.col,
    itemType: d.itemType,
    itemName: d.itemName,
  }));
}

export { judgeRuleFiles };
