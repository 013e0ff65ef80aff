/**
 * Falco's advisory JSON-schema check of a rules file (spec §1.16). It never fails a load; the
 * outcome is only reported (`ok` / `failed` / `none`).
 */
import type { YamlFile, YNode } from './yaml.js';

export type SchemaStatus = 'ok' | 'failed' | 'none';

const ITEM_KEYS = new Set([
  'required_engine_version',
  'required_plugin_versions',
  'list',
  'items',
  'macro',
  'condition',
  'rule',
  'desc',
  'output',
  'priority',
  'source',
  'enabled',
  'tags',
  'exceptions',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
  'override',
  'append',
]);
const BOOL_KEYS = new Set(['enabled', 'append', 'warn_evttypes', 'skip-if-unknown-filter', 'capture']);
const STRING_KEYS = new Set(['list', 'macro', 'rule', 'condition', 'desc', 'output', 'source']);
const PRIORITIES = new Set([
  'EMERGENCY',
  'ALERT',
  'CRITICAL',
  'ERROR',
  'WARNING',
  'NOTICE',
  'INFO',
  'INFORMATIONAL',
  'DEBUG',
]);
const EXCEPTION_KEYS = new Set(['name', 'fields', 'comps', 'values']);
const YAML_BOOL = /^(true|false|True|False|TRUE|FALSE)$/;
const YAML_INT = /^[-+]?\d+$/;

function isPlain(n: YNode): boolean {
  return n.kind === 'scalar' && !n.quoted;
}

function isString(n: YNode): boolean {
  return n.kind === 'scalar' && (n.quoted || !(YAML_BOOL.test(n.text) || YAML_INT.test(n.text)));
}

function validItem(item: YNode): boolean {
  if (item.kind !== 'map') return false;
  for (const { key, value } of item.entries) {
    if (!ITEM_KEYS.has(key)) return false;
    if (BOOL_KEYS.has(key) && !(isPlain(value) && value.kind === 'scalar' && YAML_BOOL.test(value.text)))
      return false;
    if (STRING_KEYS.has(key) && value.kind !== 'null' && !isString(value)) return false;
    if (key === 'priority' && !(value.kind === 'scalar' && PRIORITIES.has(value.text))) return false;
    if (
      key === 'capture_duration' &&
      !(isPlain(value) && value.kind === 'scalar' && YAML_INT.test(value.text))
    )
      return false;
    if ((key === 'items' || key === 'tags') && value.kind !== 'seq') return false;
    if (key === 'override') {
      if (value.kind !== 'map') return false;
      for (const e of value.entries) {
        if (!(e.value.kind === 'scalar' && (e.value.text === 'append' || e.value.text === 'replace')))
          return false;
      }
    }
    if (key === 'exceptions' && value.kind !== 'null') {
      if (value.kind !== 'seq') return false;
      for (const ex of value.items) {
        if (ex.kind !== 'map' || !ex.entries.some((e) => e.key === 'name')) return false;
        if (ex.entries.some((e) => !EXCEPTION_KEYS.has(e.key))) return false;
      }
    }
  }
  return true;
}

/** Validate a parsed file against the advisory schema. */
export function schemaStatus(file: YamlFile): SchemaStatus {
  if (file.error) return 'none';
  const docs = file.documents.filter((d): d is YNode => d !== null && d.kind !== 'null');
  if (docs.length === 0) return 'ok';
  for (const d of docs) {
    if (d.kind !== 'seq') return 'failed';
    for (const item of d.items) if (item.kind !== 'null' && !validItem(item)) return 'failed';
  }
  return 'ok';
}
