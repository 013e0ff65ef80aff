/**
 * Peregrine's default rule files, shipped in the package's `rules/` folder and exported as
 * `@peregrine/engine/rules/<name>`. The engine does no I/O: apps read them (in this order) and
 * pass their text to `load()`.
 */
export const DEFAULT_RULE_FILES: readonly string[] = [
  'peregrine_syscall_rules.yaml',
  'peregrine_k8s_audit_rules.yaml',
  'peregrine_github_rules.yaml',
  'peregrine_okta_rules.yaml',
  'peregrine_aws_cloudtrail_rules.yaml',
];
