/**
 * Conformance with the specs: every field named in the field tables of
 * the source spec (sources.md) and in the syscall catalogue of falco-language.md §5 is registered
 * by the default registry. The specs are copied into packages/engine/testdata/spec (origin in
 * testdata/README.md), so a clone of the project alone runs this.
 */
// biome-ignore lint/style/noRestrictedImports: tests read the spec copies from disk
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDefaultRegistry } from './registry.js';

const specDir = new URL('../../testdata/spec/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, specDir), 'utf8');

/** Field names of the first cell of markdown table rows: `a.b` / `.c`, `x.{p,q}` expanded. */
function tableFields(markdown: string, prefixes: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\| ([^|]+) \|/.exec(line);
    if (!m) continue;
    let last = '';
    for (const raw of (m[1] as string).split(' / ')) {
      const token = /`([^`]+)`/.exec(raw)?.[1];
      if (!token) continue;
      let names: string[];
      const brace = /^(.*)\.\{([^}]+)\}$/.exec(token);
      if (brace) names = (brace[2] as string).split(',').map((s) => `${brace[1]}.${s}`);
      else if (token.startsWith('.')) names = [last.slice(0, last.lastIndexOf('.')) + token];
      else names = [token];
      for (const n of names) {
        if (prefixes.some((p) => n.startsWith(p))) out.push(n);
        last = n;
      }
    }
  }
  return [...new Set(out)];
}

describe('spec coverage', () => {
  const reg = createDefaultRegistry();

  it.each([
    ['k8s_audit', ['ka.']],
    ['github', ['github.']],
    ['okta', ['okta.']],
    ['aws_cloudtrail', ['ct.', 's3.', 'ec2.', 'ecr.', 'iam.']],
    ['gcp_auditlog', ['gcp.']],
    ['json', ['json.', 'jevt.']],
  ] as const)('%s registers every field of sources.md', (source, prefixes) => {
    const names = tableFields(read('sources.md'), prefixes);
    expect(names.length).toBeGreaterThan(source === 'json' ? 5 : 20);
    const src = reg.requireSource(source);
    const missing = names.filter((n) => !src.field(n));
    expect(missing).toEqual([]);
  });

  it('syscall registers every field of the §5 catalogue', () => {
    const text = read('falco-language.md');
    const section = text.slice(
      text.indexOf('## 5. Syscall-source field catalogue'),
      text.indexOf('## 6. Test-vector files'),
    );
    const names = tableFields(section, [
      'evt.',
      'proc.',
      'thread.',
      'user.',
      'group.',
      'fd.',
      'container.',
      'k8s.',
    ]).filter((n) => !n.startsWith('evt.arg.'));
    expect(names.length).toBeGreaterThan(70);
    const src = reg.requireSource('syscall');
    expect(names.filter((n) => !src.field(n))).toEqual([]);
  });
});
