import { load, type RulesFile } from '@peregrine/engine';
import type { SampleEvent } from './sample-events';

/** What one sample event did to the draft's rules. */
export interface SampleResult {
  index: number;
  /** Rules that fired, in evaluation order, with Falco's rendered output. */
  alerts: { rule: string; priority: string; output: string; tags: string[] }[];
  error?: string;
}

export type SampleRun =
  | { ok: true; results: SampleResult[]; ruleCount: number }
  | { ok: false; error: string };

/**
 * Evaluates sample events against the draft with every matching rule reported (Falco stops at the
 * first match by default; for testing a draft, seeing each rule that fires is what matters).
 */
export function runSampleEvents(
  files: readonly RulesFile[],
  events: readonly SampleEvent[],
  source: string,
): SampleRun {
  const loaded = load(files, { ruleMatching: 'all' });
  if (!loaded.ok) {
    const first = loaded.diagnostics.find((d) => d.severity === 'error');
    return {
      ok: false,
      error: `The draft does not compile${first ? ` (${first.range.file}:${first.range.start.line}: ${first.message})` : ''}.`,
    };
  }
  const ruleset = loaded.ruleset;
  const results = events.map(({ index, event }): SampleResult => {
    try {
      return {
        index,
        alerts: ruleset.evaluate(event, source).map((a) => ({
          rule: a.rule,
          priority: a.priority,
          output: a.message,
          tags: a.tags,
        })),
      };
    } catch (error) {
      return { index, alerts: [], error: error instanceof Error ? error.message : String(error) };
    }
  });
  return { ok: true, results, ruleCount: ruleset.rules.filter((r) => r.source === source).length };
}
