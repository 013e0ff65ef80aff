/**
 * @peregrine/engine: the Falco rules language in pure TypeScript (no I/O): rules-file loader,
 * condition compiler, field registry and event sources, runtime and output formatting.
 */

// ---- Condition language (src/condition) and fields/sources (src/fields, src/sources) ----
export * from './condition/index.js';
/** fnmatch-style glob matcher (`glob`/`iglob`, rule-name globs). */
export { compileGlob } from './condition/index.js';
export * from './fields/index.js';
/** The structured syscall event the sensor ships and the `syscall` source reads. */
export type * from './events/syscall-event.js';

// ---- Loading ----
/** Load rules files in order into an immutable RuleSet, with Falco's diagnostics. */
export { load, type FileResult, type LoadOptions, type LoadResult, type RulesFile } from './rules/load.js';
/** Compiled rules kept across processes: the cache `load()` takes, and a store in a folder. */
export {
  type CacheFs,
  type CompileCache,
  type FolderCacheOptions,
  folderCompileCache,
} from './rules/compile-cache.js';
/** The hash of the built engine's code (the compile cache's code fingerprint); undefined from sources. */
export { ENGINE_BUILD_ID } from './rules/build-id.js';
/** Names of Peregrine's default rule files (`@peregrine/engine/rules/<name>`), in load order. */
export { DEFAULT_RULE_FILES } from './rules/default-rule-files.js';
/** Every built-in event source (syscall, k8s_audit, github, okta, aws_cloudtrail, gcp_auditlog, json). */
export { builtinSources } from './rules/default-sources.js';
/** Diagnostics as data: codes, severities, Falco item-type context chain and exact ranges. */
export {
  codeDescription,
  type Diagnostic,
  type DiagnosticCode,
  ERROR_CODES,
  type ErrorCode,
  type ItemType,
  type Location,
  type Position,
  type Range as SourceRange,
  WARNING_CODES,
  type WarningCode,
} from './rules/diagnostics.js';
/** Falco priorities: names, numeric severity and parsing (case-insensitive, `info` alias). */
/** Falco's event numbering (evt.num), shared by every reader of events. */
export { numberOwnedEvent, withEventNumber } from './rules/event-number.js';
export { PRIORITIES, type Priority, parsePriority, priorityValue } from './rules/priority.js';
/** The engine version rules are checked against (`required_engine_version`). */
export { ENGINE_VERSION, formatSemver, type Semver } from './rules/version.js';
/** Plugin requirement checks and the Falco plugins Peregrine's built-in sources stand in for. */
export {
  BUILTIN_PLUGINS,
  type BuiltinPlugin,
  checkPluginRequirements,
  type LoadedPlugin,
  type PluginCheck,
  pluginOfSource,
} from './rules/plugins.js';
/** The syscall event types a set of rules needs from a capture (sensor coverage, pre-filter). */
export { type SyscallEventTypeNeeds, syscallEventTypeNeeds } from './rules/event-type-needs.js';
/** A compiled rule and Falco's `append_output` entries. */
export type { CompiledList, CompiledMacro, CompiledRule, ExtraOutput } from './rules/compile.js';
/** Falco's advisory schema status of a file. */
export type { SchemaStatus } from './rules/schema.js';
/** Parse a rules file into YAML nodes with literal scalars and ranges (editor tooling). */
export { parseYamlFile, type YamlFile, type YNode } from './rules/yaml.js';

// ---- Runtime ----
/** The immutable, evaluable rule set, its alerts and runtime options. */
export {
  type Alert,
  DEFAULT_RUNTIME_OPTIONS,
  formatAlertTime,
  formatLineTime,
  matchesWildcard,
  type RuleSelector,
  RuleSet,
  type RuntimeOptions,
} from './rules/ruleset.js';
/** An alert line's message without Falco's time and priority (also in `@peregrine/engine/display`). */
export { outputMessage } from './output/message.js';

// ---- Views for the console ----
/** Rule summaries, per-rule diffs between two loaded versions, environment overrides. */
export {
  diffRuleSets,
  type EnvironmentOverrides,
  environmentOverrides,
  loadWithOverrides,
  OVERRIDES_FILE,
  type OverrideRow,
  overridesFile,
  type RuleChange,
  type RuleChangeKind,
  type RuleSetDiff,
  type RuleSummary,
  summarizeRule,
  summarizeRules,
} from './rules/summary.js';
/** A version's stored verdict: valid/draft status, flat diagnostics and counts. */
export { judgeRuleFiles, type RuleVerdict, type VerdictDiagnostic } from './rules/verdict.js';
/** The rules, macros and lists of a rules file by name, and what a new version of it changes. */
export {
  compareRulesFiles,
  type RulesFileChange,
  type RulesFileItem,
  type RulesFileItemKind,
  rulesFileItems,
} from './rules/rule-items.js';
/** Rule tests: events with the alerts they must (or must not) raise, run against a rule set. */
export {
  appendRuleTest,
  type ExpectedAlert,
  formatRuleTest,
  isRuleTestFile,
  judgeRuleTests,
  type ParsedRuleTests,
  parseRuleTests,
  RULE_TESTS_FOLDER,
  type NewRuleTest,
  type RuleTestsVerdict,
  splitVersionFiles,
  type RuleTestCase,
  type RuleTestFileProblem,
  type RuleTestResult,
  runRuleTests,
} from './rules/rule-tests.js';
/** Rules that can never fire under `rule_matching: first` (an earlier rule takes their events). */
export { findShadowedRules, type ShadowedRule } from './rules/shadowing.js';
/** Exceptions proposed from an alert: Falco YAML appended to the rule, and a preview matcher. */
export {
  EXCEPTION_COMPS,
  type ExceptionCheck,
  type ExceptionComp,
  type ExceptionProposal,
  exceptionYaml,
  proposeException,
} from './rules/exception-proposal.js';
/** Backtest: what a draft rule set would add or remove against the active one, per rule. */
export {
  type BacktestChangeKind,
  type BacktestRuleCounts,
  type BacktestSample,
  BacktestTally,
  type BacktestTallyState,
  type BacktestVerdict,
} from './rules/backtest.js';
/** Stored events no rule of a backtest's sets can match, told from their JSON (for the store). */
export { type StoredEventSkip, storedEventSkip } from './rules/stored-event-skip.js';
/** JUnit XML of rule test results, for CI. */
export { formatJunit, type JunitSuite } from './rules/rule-tests-junit.js';
/** Falco's `-V` text/JSON renderings of load results and the end-of-run alert summary. */
export { AlertStats, formatFileResult, loadResultsJson, snippet } from './rules/format.js';

// ---- Output formatting ----
/** Compile and render output format strings (`%field`, `%Nfield`, transformers). */
export {
  compileOutput,
  OutputFormatError,
  type OutputPart,
  type OutputToken,
  renderOutput,
  renderOutputFields,
} from './output/format.js';
/** Value rendering (text and typed JSON) and Falco-style JSON serialisation (sorted keys). */
export { type JsonValue, renderJson, renderText, toJson } from './output/render.js';

// ---- Notifications ----
/** Notification routes (the alert list's filter model, matched in order) and `%field` templates over alerts. */
export {
  alertMessage,
  fieldValueMatches,
  type MatchableRoute,
  matchRoutes,
  type RoutableAlert,
  type RouteFilter,
  type RouteTarget,
  routeMatches,
} from './notify/route-match.js';
/** Digest periods and quiet-hours windows of a route, in its time zone (DST-safe). */
export {
  type DigestSchedule,
  digestPeriod,
  instantOf,
  type QuietHours,
  quietWindow,
  type Span,
} from './notify/schedule.js';
export {
  compileTemplate,
  DEFAULT_TEXT_TEMPLATE,
  DEFAULT_TITLE_TEMPLATE,
  type NotificationTemplate,
  type TemplateContext,
  templateProblem,
} from './notify/template.js';

// ---- MITRE ATT&CK ----
/** Enterprise ATT&CK tactics and techniques, and what Falco's `mitre_*` / `T####` tags name in it. */
export {
  ATTACK_TACTICS,
  ATTACK_TECHNIQUES,
  type AttackCoverage,
  type AttackRule,
  type AttackTactic,
  type AttackTag,
  type AttackTags,
  type AttackTechnique,
  attackCoverage,
  attackOfTag,
  attackOfTags,
  attackTactic,
  attackTechnique,
  tagsReaching,
} from './attack/index.js';

// ---- Captures ----
/** Falco/sysdig `.scap` captures: streaming reader, libsinsp-like thread/fd/user state, writer. */
export * from './scap/index.js';

/** Linux syscall flag tables (`O_*`, `CLONE_*`, ptrace, signals, ...) with their libs PPM_* values. */
export * from './sources/syscall/linux-flags.js';
/** Linux errno names (`ENOENT`). */
export { errnoName } from './sources/syscall/errno.js';
export { normalizePath } from './sources/syscall/paths.js';

// ---- Entities ----
/** What alerts (Falco fields) and raw events (native payloads) name, per source: the declared mapping. */
export {
  ALERT_ENTITY_MAP,
  alertEntities,
  awsPrincipal,
  ENTITY_KINDS,
  type EntityKind,
  type EntityNormalizer,
  type EntityRef,
  type EntityRule,
  extractEntities,
  type IdentityProvider,
  MAX_ENTITY_VALUE,
  nativeRecord,
  RAW_EVENT_ENTITY_MAP,
  rawEventEntities,
  readJsonPath,
} from './entities/entity-map.js';
/** A stored raw event in one line (action, actor, source IP, user agent, target), per source. */
export { type EventSummary, rawEventSummary } from './entities/event-summary.js';
/** The process tree an alert's output fields describe (`proc.name`, `proc.pname`, `proc.aname[n]`). */
export { type ProcessNode, processTree } from './entities/process-tree.js';

// ---- Incidents ----
/** Which entities link alerts into incidents and how an incident is scored. */
export {
  defaultIncidentPolicy,
  INCIDENT_COMMON_ENTITY_GROUPS,
  INCIDENT_COMMON_ENTITY_INCIDENTS,
  INCIDENT_LINK_KINDS,
  INCIDENT_LINK_THRESHOLD,
  INCIDENT_LINK_WEIGHTS,
  type IncidentScoreInput,
  incidentScore,
  incidentTactics,
  principalAliases,
  worsePriority,
} from './incidents/incident-policy.js';
