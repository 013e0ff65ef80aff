/** Entry point for scripts: the idempotent demo seed. */
export { judgeRuleFiles, type RuleVerdict } from './bootstrap/rule-verdict.js';
export { readDefaultRules, seedDemoOrganization } from './bootstrap/seed-demo.js';
