/**
 * Reads one rules file into the collector with Falco's reader semantics (rule_loader_reader.cpp):
 * item kind by first matching key, the four rule shapes, and the first error aborting the file.
 * Each key's value is decoded from its literal text by field-readers.ts.
 */
import type { Collector } from './collector.js';
import { Context, type Diagnostic, RuleLoadError } from './diagnostics.js';
import {
  bool,
  headRange,
  optBool,
  optSource,
  optStr,
  optUint,
  overrides,
  priority,
  readExceptions,
  seq,
  sourceText,
  str,
  tags,
  warnUnknownKeys,
  yamlError,
} from './field-readers.js';
import type { RuleUpdateInfo } from './model.js';
import { type SchemaStatus, schemaStatus } from './schema.js';
import type { SourceText } from './source-text.js';
import { ENGINE_VERSION, parseSemver } from './version.js';
import { get, type PositionMap, parseYamlFile, type YamlFile, type YMap, type YNode } from './yaml.js';

export const WARNING_APPEND =
  "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
export const WARNING_ENABLED =
  "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
export const ERROR_OVERRIDE_APPEND =
  "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

const RGX_IDENTIFIER = '([a-zA-Z]+[a-zA-Z0-9_]*)';
const RGX_BARESTR = '([^()"\'[:space:]=,]+)';
const IDENTIFIER_RE = /^[a-zA-Z]+[a-zA-Z0-9_]*$/;
const BARESTR_RE = /^[^()"'\s=,]+$/;

const LIST_KEYS = new Set(['list', 'items', 'append', 'override']);
const MACRO_KEYS = new Set(['macro', 'condition', 'append', 'override']);
const RULE_KEYS = new Set([
  'rule',
  'desc',
  'condition',
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
const RULE_APPENDABLE = ['condition', 'output', 'desc', 'tags', 'exceptions'];
const RULE_REPLACEABLE = [
  'condition',
  'output',
  'desc',
  'priority',
  'tags',
  'exceptions',
  'enabled',
  'warn_evttypes',
  'skip-if-unknown-filter',
  'capture',
  'capture_duration',
];

interface ReaderFile {
  name: string;
  content: string;
  positions: PositionMap;
}

function readItem(
  file: ReaderFile,
  collector: Collector,
  item: YNode,
  parent: Context,
  warn: (d: Diagnostic) => void,
): void {
  if (item.kind !== 'map') {
    yamlError(
      'Unexpected element type. Each element should be a yaml associative array.',
      parent.child('rules content item', '', item.range),
    );
  }
  if (get(item, 'required_engine_version') !== undefined) {
    const ctx = parent.child('required_engine_version', '', item.range);
    warnUnknownKeys(item, new Set(['required_engine_version']), ctx, warn);
    const text = str(item, 'required_engine_version', ctx);
    const version =
      /^\+?\d+$/.test(text) && Number(text) <= 0xffffffff
        ? { major: 0, minor: Number(text), patch: ENGINE_VERSION.patch }
        : parseSemver(text);
    if (!version) {
      yamlError(
        `Unable to parse engine version '${text}' as a semver string. Expected "x.y.z" semver format.`,
        ctx,
      );
    }
    collector.defineEngineVersion({ version, ctx });
  } else if (get(item, 'required_plugin_versions') !== undefined) {
    const reqs = get(item, 'required_plugin_versions')!;
    const ctx = parent.child('required plugin versions', '', reqs.range);
    warnUnknownKeys(item, new Set(['required_plugin_versions']), ctx, warn);
    if (reqs.kind !== 'seq') yamlError('Value of required_plugin_versions must be a sequence', ctx);
    for (const plugin of reqs.items) {
      const tmp = ctx.child('required plugin versions entry', '', plugin.range);
      if (plugin.kind !== 'map') yamlError('Plugin version must be a mapping', tmp);
      const name = str(plugin, 'name', tmp);
      const pctx = ctx.child('required plugin versions entry', name, plugin.range);
      const version = str(plugin, 'version', pctx);
      if (!parseSemver(version))
        yamlError(`Invalid required version '${version}' for plugin '${name}'`, pctx);
      const alternatives = [{ name, version }];
      const alts = get(plugin, 'alternatives');
      if (alts !== undefined) {
        if (alts.kind !== 'seq') yamlError('Value of plugin version alternatives must be a sequence', pctx);
        for (const req of alts.items) {
          const t = pctx.child('required plugin versions alternative', '', req.range);
          if (req.kind !== 'map') yamlError('Plugin version alternative must be a mapping', t);
          const aname = str(req, 'name', t);
          const actx = pctx.child('required plugin versions alternative', aname, req.range);
          const aversion = str(req, 'version', actx);
          if (!parseSemver(aversion))
            yamlError(`Invalid required version '${aversion}' for plugin '${aname}'`, actx);
          alternatives.push({ name: aname, version: aversion });
        }
      }
      collector.definePluginVersion({ alternatives, ctx: pctx });
    }
  } else if (get(item, 'list') !== undefined) {
    const name = str(item, 'list', parent.child('list', '', item.range));
    const ctx = parent.child('list', name, headRange(item, 'list'));
    warnUnknownKeys(item, LIST_KEYS, ctx, warn);
    if (!BARESTR_RE.test(name)) {
      warn(
        ctx.diagnostic(
          'LOAD_INVALID_LIST_NAME',
          `List has an invalid name. List names should match a regular expression: ${RGX_BARESTR}`,
        ),
      );
    }
    const items = seq(item, 'items', ctx, false)!;
    let append = optBool(item, 'append', ctx) ?? false;
    if (append) warn(ctx.diagnostic('LOAD_DEPRECATED_ITEM', WARNING_APPEND));
    const ov = overrides(item, ['items'], ['items'], ctx);
    if (append && (ov.append.size > 0 || ov.replace.size > 0)) yamlError(ERROR_OVERRIDE_APPEND, ctx);
    append ||= ov.append.has('items');
    if (append) collector.appendList({ name, items, ctx });
    else collector.defineList({ name, items, ctx });
  } else if (get(item, 'macro') !== undefined) {
    const name = str(item, 'macro', parent.child('macro', '', item.range));
    const ctx = parent.child('macro', name, headRange(item, 'macro'));
    warnUnknownKeys(item, MACRO_KEYS, ctx, warn);
    if (!IDENTIFIER_RE.test(name)) {
      warn(
        ctx.diagnostic(
          'LOAD_INVALID_MACRO_NAME',
          `Macro has an invalid name. Macro names should match a regular expression: ${RGX_IDENTIFIER}`,
        ),
      );
    }
    const { st: cond, node } = sourceText(item, 'condition', ctx, file.positions);
    const condCtx = ctx.child('macro condition', '', node.range);
    let append = optBool(item, 'append', ctx) ?? false;
    if (append) warn(ctx.diagnostic('LOAD_DEPRECATED_ITEM', WARNING_APPEND));
    const ov = overrides(item, ['condition'], ['condition'], ctx);
    if (append && (ov.append.size > 0 || ov.replace.size > 0)) yamlError(ERROR_OVERRIDE_APPEND, ctx);
    append ||= ov.append.has('condition');
    if (append) collector.appendMacro({ name, cond, ctx, condCtx });
    else collector.defineMacro({ name, cond, ctx, condCtx });
  } else if (get(item, 'rule') !== undefined) {
    readRule(file, collector, item, parent, warn);
  } else {
    warn(
      parent
        .child('rules content item', '', item.range)
        .diagnostic('LOAD_UNKNOWN_ITEM', 'Unknown top level item'),
    );
  }
}

function readRule(
  file: ReaderFile,
  collector: Collector,
  item: YMap,
  parent: Context,
  warn: (d: Diagnostic) => void,
): void {
  const name = str(item, 'rule', parent.child('rule', '', item.range));
  const ctx = parent.child('rule', name, headRange(item, 'rule'));
  warnUnknownKeys(item, RULE_KEYS, ctx, warn);
  const hasAppendFlag = optBool(item, 'append', ctx) ?? false;
  if (hasAppendFlag) warn(ctx.diagnostic('LOAD_DEPRECATED_ITEM', WARNING_APPEND));
  const ov = overrides(item, RULE_APPENDABLE, RULE_REPLACEABLE, ctx);
  const hasOverrides = ov.append.size > 0 || ov.replace.size > 0;
  if (hasAppendFlag && hasOverrides) yamlError(ERROR_OVERRIDE_APPEND, ctx);

  const condOf = (u: RuleUpdateInfo) => {
    const { st, node } = sourceText(item, 'condition', ctx, file.positions);
    u.cond = st;
    u.condCtx = ctx.child('rule condition', '', node.range);
  };
  const outputOf = (u: RuleUpdateInfo) => {
    const { st, node } = sourceText(item, 'output', ctx, file.positions);
    u.output = st;
    u.outputCtx = ctx.child('rule output', '', node.range);
  };

  if (hasOverrides) {
    const expected = new Set<string>();
    for (const k of [...RULE_APPENDABLE, ...RULE_REPLACEABLE])
      if (get(item, k) !== undefined) expected.add(k);
    const check = (ops: Set<string>, type: string, key: string): boolean => {
      if (!ops.has(key)) return false;
      if (!expected.has(key)) {
        yamlError(`An ${type} override for '${key}' was specified but '${key}' is not defined`, ctx);
      }
      expected.delete(key);
      return true;
    };
    const source = optSource(item, ctx);
    if (ov.append.size > 0) {
      const u: RuleUpdateInfo = { name, ctx, ...(source ? { source } : {}) };
      if (check(ov.append, 'append', 'condition')) condOf(u);
      if (check(ov.append, 'append', 'exceptions')) u.exceptions = readExceptions(item, ctx, true, warn);
      if (check(ov.append, 'append', 'output')) outputOf(u);
      if (check(ov.append, 'append', 'desc')) u.desc = str(item, 'desc', ctx);
      if (check(ov.append, 'append', 'tags')) u.tags = tags(item, ctx) ?? [];
      collector.appendRule(u);
    }
    if (ov.replace.size > 0) {
      const u: RuleUpdateInfo = { name, ctx, ...(source ? { source } : {}) };
      if (check(ov.replace, 'replace', 'condition')) condOf(u);
      if (check(ov.replace, 'replace', 'exceptions')) u.exceptions = readExceptions(item, ctx, true, warn);
      if (check(ov.replace, 'replace', 'output')) outputOf(u);
      if (check(ov.replace, 'replace', 'desc')) u.desc = str(item, 'desc', ctx);
      if (check(ov.replace, 'replace', 'tags')) u.tags = tags(item, ctx) ?? [];
      if (check(ov.replace, 'replace', 'priority')) u.priority = priority(item, ctx);
      if (check(ov.replace, 'replace', 'enabled')) u.enabled = bool(item, 'enabled', ctx);
      if (check(ov.replace, 'replace', 'warn_evttypes')) u.warnEvttypes = bool(item, 'warn_evttypes', ctx);
      if (check(ov.replace, 'replace', 'skip-if-unknown-filter'))
        u.skipIfUnknownFilter = bool(item, 'skip-if-unknown-filter', ctx);
      if (check(ov.replace, 'replace', 'capture')) u.capture = bool(item, 'capture', ctx);
      if (check(ov.replace, 'replace', 'capture_duration'))
        u.captureDuration = optUint(item, 'capture_duration', ctx);
      collector.replaceRule(u);
    }
    for (const key of expected) {
      const node = get(item, key)!;
      yamlError(
        `Unexpected key '${key}': no corresponding entry under 'override' is defined.`,
        ctx.child('overrides', key, node.range),
      );
    }
    return;
  }
  if (hasAppendFlag) {
    const source = optSource(item, ctx);
    const u: RuleUpdateInfo = { name, ctx, ...(source ? { source } : {}) };
    if (get(item, 'condition') !== undefined) condOf(u);
    if (get(item, 'exceptions') !== undefined) u.exceptions = readExceptions(item, ctx, true, warn);
    collector.appendRule(u);
    return;
  }
  if (
    get(item, 'condition') === undefined &&
    get(item, 'output') === undefined &&
    get(item, 'desc') === undefined &&
    get(item, 'priority') === undefined
  ) {
    const enabled = bool(item, 'enabled', ctx);
    warn(ctx.diagnostic('LOAD_DEPRECATED_ITEM', WARNING_ENABLED));
    collector.enableRule(name, enabled, ctx);
    return;
  }
  const c = sourceText(item, 'condition', ctx, file.positions);
  const o = sourceText(item, 'output', ctx, file.positions);
  const desc = str(item, 'desc', ctx);
  const prio = priority(item, ctx);
  // Falco trims the output of a full definition (not of replaces).
  const trimmed = o.st.text.trim();
  const lead = o.st.text.length - o.st.text.trimStart().length;
  const output: SourceText = {
    text: trimmed,
    segments: o.st.segments.map((s) => ({ ...s, at: s.at - lead })),
  };
  collector.defineRule({
    name,
    cond: c.st,
    condCtx: ctx.child('rule condition', '', c.node.range),
    output,
    outputCtx: ctx.child('rule output', '', o.node.range),
    desc,
    priority: prio,
    source: optStr(item, 'source', ctx) ?? 'syscall',
    enabled: optBool(item, 'enabled', ctx) ?? true,
    warnEvttypes: optBool(item, 'warn_evttypes', ctx) ?? true,
    skipIfUnknownFilter: optBool(item, 'skip-if-unknown-filter', ctx) ?? false,
    capture: optBool(item, 'capture', ctx) ?? false,
    captureDuration: optUint(item, 'capture_duration', ctx) ?? 0,
    tags: tags(item, ctx) ?? [],
    exceptions: readExceptions(item, ctx, false, warn),
    ctx,
  });
}

/**
 * Read one file into the collector. Returns false (after reporting the error) when the file has a
 * YAML or structure error; the first error stops the file.
 */
export function readFile(
  file: { name: string; content: string },
  collector: Collector,
  report: (d: Diagnostic) => void,
): { ok: boolean; schema: SchemaStatus } {
  const root = Context.file(file.name);
  const y = parseYamlFile(file.name, file.content);
  if (y.error) {
    report(root.child('value for', '', y.error.range).diagnostic('LOAD_ERR_YAML_PARSE', y.error.message));
    return { ok: false, schema: 'none' };
  }
  const rf: ReaderFile = { name: file.name, content: file.content, positions: y.positions };
  return { ok: readDocuments(rf, y, collector, root, report), schema: schemaStatus(y) };
}

function readDocuments(
  file: ReaderFile,
  y: YamlFile,
  collector: Collector,
  root: Context,
  report: (d: Diagnostic) => void,
): boolean {
  for (const doc of y.documents) {
    if (doc === null || doc.kind === 'null') continue;
    try {
      if (doc.kind === 'scalar') yamlError('Rules content is not yaml', root);
      if (doc.kind === 'map') yamlError('Rules content is not yaml array of objects', root);
      if (doc.kind !== 'seq') continue;
      for (const item of doc.items) {
        if (item.kind === 'null') continue;
        readItem(file, collector, item, root, report);
      }
    } catch (e) {
      if (e instanceof RuleLoadError) {
        report(e.toDiagnostic());
        return false;
      }
      throw e;
    }
  }
  return true;
}
