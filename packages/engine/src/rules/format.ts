/**
 * Falco's renderings of load results (`falco -V`, text and `--json`) and of the end-of-run
 * statistics. Pure functions over data; the CLI prints them.
 */
import type { JsonValue } from '../output/render.js';
import { codeDescription, type Diagnostic, type Location } from './diagnostics.js';
import type { FileResult } from './load.js';
import { PRIORITIES, type Priority } from './priority.js';
import type { Alert } from './ruleset.js';

/** Falco positions are 0-based line and column. */
function falcoPos(l: Location): { line: number; column: number; offset: number } {
  return { line: l.range.start.line - 1, column: l.range.start.col - 1, offset: l.range.start.offset };
}

function contextString(d: Diagnostic): string {
  let out = '';
  d.locations.forEach((l, i) => {
    out += i === 0 ? 'In ' : '    ';
    out += l.itemType;
    if (l.itemName) out += ` '${l.itemName}'`;
    const p = falcoPos(l);
    out += `: (${l.range.file}:${p.line}:${p.column})\n`;
  });
  return out;
}

/** The line of the last location with a caret under the position (Falco's snippet). */
export function snippet(d: Diagnostic, contents: ReadonlyMap<string, string>, width = 160): string {
  const loc = d.locations[d.locations.length - 1]!;
  const content = contents.get(loc.range.file);
  if (content === undefined) return `<No context for file + ${loc.range.file}>\n`;
  if (content === '') return '<No context available>\n';
  let pos = Math.min(loc.range.start.offset, content.length - 1);
  while (pos > 0 && (pos >= content.length || content[pos] === '\n')) pos--;
  let from = pos;
  while (from > 0 && content[from] !== '\n' && pos - from < width / 2) from--;
  let to = pos;
  while (to < content.length - 1 && content[to] !== '\n' && to - pos < width / 2) to++;
  if (content[from] === '\n') from++;
  if (content[to] === '\n') to--;
  let line = content.slice(from, to + 1);
  if (line === '') return '<No context available>\n';
  if (pos - from >= width / 2) line = `...${line.slice(3)}`;
  if (to - pos >= width / 2) line = `${line.slice(0, -3)}...`;
  return `${line}\n${' '.repeat(Math.max(0, pos - from))}^\n`;
}

/** `falco -V` verbose text for one file result. */
export function formatFileResult(r: FileResult, contents: ReadonlyMap<string, string>): string {
  let os = `${r.name}: `;
  os += r.successful ? (r.warnings.length ? 'Ok, with warnings' : 'Ok') : 'Invalid';
  if (r.errors.length) {
    os += `\n${r.errors.length} Errors:\n`;
    for (const e of r.errors) {
      os += contextString(e);
      os += `------\n${snippet(e, contents)}------\n`;
      os += `${e.code} (${codeDescription(e.code)}): ${e.message}\n`;
    }
  }
  if (r.warnings.length) {
    os += `\n${r.warnings.length} Warnings:\n`;
    for (const w of r.warnings) {
      os += contextString(w);
      os += `------\n${snippet(w, contents)}------\n`;
      os += `${w.code} (${codeDescription(w.code)}): ${w.message}\n`;
    }
  }
  return os;
}

function diagnosticJson(d: Diagnostic, contents: ReadonlyMap<string, string>): JsonValue {
  return {
    code: d.code,
    codedesc: codeDescription(d.code),
    message: d.message,
    context: {
      locations: d.locations.map((l) => ({
        item_type: l.itemType,
        item_name: l.itemName,
        position: { name: l.range.file, ...falcoPos(l) },
      })),
      snippet: snippet(d, contents),
    },
  };
}

/** `falco -V --json` document: `{"falco_load_results": [...]}`. */
export function loadResultsJson(
  results: readonly FileResult[],
  contents: ReadonlyMap<string, string>,
): JsonValue {
  return {
    falco_load_results: results.map((r) => ({
      name: r.name,
      successful: r.successful,
      schema_valid: r.schemaValidation === 'ok',
      errors: r.errors.map((d) => diagnosticJson(d, contents)),
      warnings: r.warnings.map((d) => diagnosticJson(d, contents)),
    })),
  };
}

/** Counts of alerts, as Falco's end-of-run summary reports them. */
export class AlertStats {
  total = 0;
  private readonly byPriority = new Map<Priority, number>();
  private readonly byRule = new Map<string, { count: number; order: number }>();

  add(a: Pick<Alert, 'rule' | 'priority'>, ruleOrder = Number.MAX_SAFE_INTEGER): void {
    this.total++;
    this.byPriority.set(a.priority, (this.byPriority.get(a.priority) ?? 0) + 1);
    const r = this.byRule.get(a.rule);
    if (r) r.count++;
    else this.byRule.set(a.rule, { count: 1, order: ruleOrder });
  }

  /** Falco's text: events detected, counts by severity (upper-case short names), by rule. */
  format(): string {
    let out = `Events detected: ${this.total}\nRule counts by severity:\n`;
    for (const p of PRIORITIES) {
      const n = this.byPriority.get(p);
      if (n) out += `   ${(p === 'Informational' ? 'Info' : p).toUpperCase()}: ${n}\n`;
    }
    out += 'Triggered rules by rule name:\n';
    const rules = [...this.byRule.entries()].sort((a, b) => a[1].order - b[1].order);
    for (const [name, { count }] of rules) out += `   ${name}: ${count}\n`;
    return out;
  }
}
