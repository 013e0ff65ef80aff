import { createAwsCloudtrailSource } from '../sources/aws-cloudtrail/source.js';
import { createGcpAuditlogSource } from '../sources/gcp-auditlog/source.js';
import { createGithubSource } from '../sources/github/source.js';
import { createJsonSource } from '../sources/json/source.js';
import { createK8sAuditSource } from '../sources/k8s-audit/source.js';
import { createOktaSource } from '../sources/okta/source.js';
import { createSyscallSource } from '../sources/syscall/source.js';
import { FieldError } from './errors.js';
import type { FieldDef, SourceDef } from './types.js';

/** Every event source and field Peregrine knows; immutable once built. */
export interface FieldRegistry {
  /** Sources in a stable order (`syscall` first). */
  readonly sources: readonly SourceDef[];
  /** The source of that name, or undefined. */
  getSource(name: string): SourceDef | undefined;
  /** Like getSource but throws a coded FieldError (`UNKNOWN_SOURCE`). */
  requireSource(name: string): SourceDef;
  /** Field list of a source for completion/hover (hidden fields omitted unless asked). */
  listFields(source: string, opts?: { includeHidden?: boolean }): readonly FieldDef[];
}

/** Builds a registry over the given sources (tests and custom engines pass their own). */
export function createRegistry(sources: readonly SourceDef[]): FieldRegistry {
  const byName = new Map<string, SourceDef>();
  for (const s of sources) {
    if (byName.has(s.name)) throw new Error(`duplicate source ${s.name}`);
    byName.set(s.name, s);
  }
  const frozen = Object.freeze([...sources]);
  return Object.freeze({
    sources: frozen,
    getSource: (name: string) => byName.get(name),
    requireSource(name: string): SourceDef {
      const s = byName.get(name);
      if (!s) throw new FieldError('UNKNOWN_SOURCE', `unknown event source ${name}`);
      return s;
    },
    listFields(source: string, opts?: { includeHidden?: boolean }): readonly FieldDef[] {
      const s = byName.get(source);
      if (!s) return [];
      return opts?.includeHidden ? s.fields : s.fields.filter((f) => !f.hidden);
    },
  });
}

/**
 * The default registry: `syscall`, `k8s_audit`, `github`, `okta`, `aws_cloudtrail`,
 * `gcp_auditlog` and the generic `json` source.
 */
export function createDefaultRegistry(): FieldRegistry {
  return createRegistry([
    createSyscallSource(),
    createK8sAuditSource(),
    createGithubSource(),
    createOktaSource(),
    createAwsCloudtrailSource(),
    createGcpAuditlogSource(),
    createJsonSource(),
  ]);
}

let shared: FieldRegistry | undefined;

/**
 * A source from a lazily built default registry. Sources are immutable, so sharing one registry
 * is safe; engines that need their own set use createRegistry.
 */
export function getSource(name: string): SourceDef | undefined {
  shared ??= createDefaultRegistry();
  return shared.getSource(name);
}
