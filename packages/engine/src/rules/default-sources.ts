/** Peregrine's built-in event sources. */
import { createDefaultRegistry } from '../fields/registry.js';
import type { SourceDef } from '../fields/types.js';

/** Fresh instances of every built-in source (syscall, k8s_audit, github, okta, aws_cloudtrail, gcp_auditlog, json). */
export function builtinSources(): SourceDef[] {
  return [...createDefaultRegistry().sources];
}
