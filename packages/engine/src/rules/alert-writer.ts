/**
 * One generated function per rule that writes its alert: the output's fields read once each, the
 * message concatenated from constant text and those values, and `output_fields` built as one
 * object literal with the rule's keys written in.
 *
 * Built the generic way (ruleset.ts: `renderOutputAndFields`, one keyed store per field into an
 * empty object), every alert's `output_fields` grows through the same megamorphic store, which
 * sees every rule's field names, and each value goes through the generic text and JSON renderers.
 * A literal with constant keys is made from one boilerplate per rule, and a string value (most
 * fields) is its own text and JSON. The result is the same alert, key order included
 * (alert-writer.test.ts compares them); where code cannot be generated (a browser page) the
 * RuleSet writes alerts the generic way.
 */
import type { Extractor, FieldDef } from '../fields/types.js';
import { type OutputPart, pad, renderExtraField } from '../output/format.js';
import { renderJson, renderText } from '../output/render.js';
import type { CompiledRule } from './compile.js';
import type { Alert } from './ruleset.js';

/** Writes a rule's alert for an event at `ns` (`time` and `line` already formatted for it). */
export type AlertWriter = (event: unknown, ns: bigint, time: string, line: string, hostname: string) => Alert;

/**
 * The rule's alert writer, or undefined when a key cannot be written into a literal
 * (`__proto__` would set the prototype). `timeKey` is `evt.time` or `evt.time.iso8601`.
 */
export function generateAlertWriter(r: CompiledRule, timeKey: string): AlertWriter | undefined {
  const extractors: Extractor[] = [];
  const defs: (FieldDef | undefined)[] = [];
  const extras: (readonly OutputPart[])[] = [];
  const lines: string[] = [];
  const message: string[] = [];
  /** Key -> expression, in the order the generic path first writes each key (later writes win). */
  const fields = new Map<string, string>();
  let n = 0;
  /** The number of a local `v<i>` holding the field's value (undefined when its extractor throws). */
  const read = (extract: Extractor, def: FieldDef | undefined): number => {
    const i = n++;
    extractors.push(extract);
    defs.push(def);
    lines.push(`let v${i}; try { v${i} = X${i}(event); } catch { v${i} = undefined; }`);
    return i;
  };
  for (const p of r.outputParts) {
    if (typeof p === 'string') {
      message.push(JSON.stringify(p));
      continue;
    }
    const i = read(p.extract, p.def);
    // A string's text and JSON are the string up to its first NUL (render.ts scalarText).
    lines.push(
      `const t${i} = typeof v${i} === "string" && v${i}.indexOf("\\0") === -1 ? v${i} : T(v${i}, D${i});`,
    );
    message.push(p.width > 0 ? `P(t${i}, ${p.width})` : `t${i}`);
    if (!p.transformer) {
      fields.set(p.text, `typeof v${i} === "string" ? t${i} : J(v${i}, D${i})`);
    } else {
      for (const f of p.innerFields) {
        const j = read(f.extract, f.def);
        fields.set(f.text, `J(v${j}, D${j})`);
      }
    }
  }
  // Field expressions are evaluated into locals first, in the generic path's order.
  const keyed: [string, string][] = [];
  for (const [key, expr] of fields) {
    const local = `f${keyed.length}`;
    lines.push(`const ${local} = ${expr};`);
    keyed.push([key, local]);
  }
  const slot = new Map(keyed.map(([k], i) => [k, i]));
  for (const x of r.extraFields) {
    const e = extras.length;
    extras.push(x.parts);
    const local = `e${e}`;
    lines.push(`const ${local} = E(XP[${e}], event);`);
    const at = slot.get(x.key);
    if (at !== undefined) keyed[at] = [x.key, local];
    else {
      slot.set(x.key, keyed.length);
      keyed.push([x.key, local]);
    }
  }
  const at = slot.get(timeKey);
  if (at !== undefined) keyed[at] = [timeKey, 'ns'];
  else keyed.push([timeKey, 'ns']);
  if (keyed.some(([k]) => k === '__proto__')) return undefined;
  const consts = extractors.map((_, i) => `const X${i} = X[${i}], D${i} = D[${i}];`).join('\n');
  const body = `"use strict";
${consts}
return function writeAlert(event, ns, time, line, hostname) {
${lines.join('\n')}
const message = ${message.length === 0 ? '""' : message.join(' + ')};
return {
  time: time,
  rule: RULE,
  priority: PRIORITY,
  source: SOURCE,
  output: line + LEAD + message,
  message: message,
  output_fields: { ${keyed.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')} },
  tags: TAGS.slice(),
  hostname: hostname,
};
};`;
  return new Function('X', 'D', 'T', 'J', 'P', 'E', 'XP', 'RULE', 'PRIORITY', 'SOURCE', 'LEAD', 'TAGS', body)(
    extractors,
    defs,
    renderText,
    renderJson,
    pad,
    renderExtraField,
    extras,
    r.name,
    r.priority,
    r.source,
    `: ${r.priority} `,
    [...r.tags],
  ) as AlertWriter;
}
