// biome-ignore lint/style/noRestrictedImports: the test reads the upstream and default rules from disk
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ATTACK_TACTICS, ATTACK_TECHNIQUES, attackTechnique } from './catalogue.js';
import { attackCoverage } from './coverage.js';
import { attackOfTag, attackOfTags, tagsReaching } from './tags.js';

/** Every tag of every rule in the YAML files under `dir` (recursively). */
function ruleTags(dir: URL): string[] {
  const tags = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      for (const t of ruleTags(new URL(`${entry.name}/`, dir))) tags.add(t);
    } else if (entry.name.endsWith('.yaml')) {
      const items: unknown = parse(readFileSync(new URL(entry.name, dir), 'utf8'));
      for (const item of Array.isArray(items) ? items : []) {
        const ts = (item as { rule?: unknown; tags?: unknown }).tags;
        if (Array.isArray(ts)) for (const t of ts) tags.add(String(t));
      }
    }
  }
  return [...tags];
}

describe('the ATT&CK catalogue', () => {
  it('has the fourteen Enterprise tactics in matrix order', () => {
    expect(ATTACK_TACTICS.map((t) => t.name)).toEqual([
      'Reconnaissance',
      'Resource Development',
      'Initial Access',
      'Execution',
      'Persistence',
      'Privilege Escalation',
      'Defense Evasion',
      'Credential Access',
      'Discovery',
      'Lateral Movement',
      'Collection',
      'Command and Control',
      'Exfiltration',
      'Impact',
    ]);
  });

  it('lists each technique once, under known tactics, sub-techniques after their parent', () => {
    const ids = ATTACK_TECHNIQUES.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    const tactics = new Set(ATTACK_TACTICS.map((t) => t.id));
    const seen = new Set<string>();
    for (const t of ATTACK_TECHNIQUES) {
      expect(t.id).toMatch(/^T\d{4}(\.\d{3})?$/);
      expect(t.tactics.length, t.id).toBeGreaterThan(0);
      for (const tactic of t.tactics) expect(tactics.has(tactic), `${t.id} ${tactic}`).toBe(true);
      if (t.parent) {
        expect(seen.has(t.parent), `${t.id} after ${t.parent}`).toBe(true);
        expect(t.tactics).toEqual(attackTechnique(t.parent)?.tactics);
      }
      seen.add(t.id);
    }
    for (const tactic of ATTACK_TACTICS) {
      const under = ATTACK_TECHNIQUES.filter((t) => !t.parent && t.tactics.includes(tactic.id));
      expect(under.length, tactic.name).toBeGreaterThanOrEqual(7);
    }
    expect(attackTechnique('T1611')).toMatchObject({ name: 'Escape to Host', tactics: ['TA0004'] });
    expect(attackTechnique('T1059.004')).toMatchObject({ name: 'Unix Shell', parent: 'T1059' });
  });

  it("names every technique and tactic the upstream and Peregrine's default rules tag", () => {
    const tags = [
      ...ruleTags(new URL('../../testdata/falco/rules/', import.meta.url)),
      ...ruleTags(new URL('../../testdata/falco/plugin-rules/', import.meta.url)),
      ...ruleTags(new URL('../../rules/', import.meta.url)),
    ];
    const attack = attackOfTags(tags);
    expect(attack.techniques.length).toBeGreaterThan(40);
    expect(attack.techniques.filter((id) => !attackTechnique(id))).toEqual([]);
    // Every tag that looks like ATT&CK is understood.
    const looksLike = tags.filter((t) => /^(mitre_|T\d{4}|TA\d{4})/i.test(t));
    expect(looksLike.filter((t) => attackOfTag(t).length === 0)).toEqual([]);
    expect(attack.tactics).toHaveLength(13); // every tactic but Resource Development
  });
});

describe('attackOfTag / attackOfTags', () => {
  it('reads Falco tactic tags, technique and sub-technique ids, and ignores other tags', () => {
    expect(attackOfTag('mitre_privilege_escalation')).toEqual([{ kind: 'tactic', tactic: 'TA0004' }]);
    expect(attackOfTag('mitre_command_and_control')).toEqual([{ kind: 'tactic', tactic: 'TA0011' }]);
    expect(attackOfTag('T1611')).toEqual([{ kind: 'technique', technique: 'T1611', parent: null }]);
    expect(attackOfTag('T1003.001')).toEqual([
      { kind: 'technique', technique: 'T1003.001', parent: 'T1003' },
    ]);
    expect(attackOfTag('container')).toEqual([]);
    expect(attackOfTag('mitre_unknown_tactic')).toEqual([]);
    expect(attackOfTag('T12345')).toEqual([]);
    expect(attackOfTag('T1059.4')).toEqual([]);
    expect(attackOfTag('TA9999')).toEqual([]);
  });

  it("reads the plugins' TA####-name and T####-name forms and the data destruction alias", () => {
    expect(attackOfTag('TA0005-defense-evasion')).toEqual([{ kind: 'tactic', tactic: 'TA0005' }]);
    expect(attackOfTag('T1562-impair-defenses')).toEqual([
      { kind: 'technique', technique: 'T1562', parent: null },
    ]);
    expect(attackOfTags(['mitre_data_destruction'])).toEqual({ tactics: ['TA0040'], techniques: ['T1485'] });
  });

  it('counts a sub-technique under its parent too, once however many tags reach it', () => {
    expect(attackOfTags(['T1003.001', 'T1003', 'T1003.008', 'mitre_credential_access', 'host'])).toEqual({
      tactics: ['TA0006'],
      techniques: ['T1003', 'T1003.001', 'T1003.008'],
    });
    // A sub-technique the catalogue does not name still counts under its parent.
    expect(attackOfTags(['T1059.999']).techniques).toEqual(['T1059', 'T1059.999']);
    // Tactics come in matrix order whatever the tag order.
    expect(attackOfTags(['mitre_impact', 'mitre_execution', 'mitre_reconnaissance']).tactics).toEqual([
      'TA0043',
      'TA0002',
      'TA0040',
    ]);
  });

  it('tells which tags reach a technique or tactic (what an alert filter looks for)', () => {
    const tags = ['T1003', 'T1003.001', 'T10030', 'T1059', 'mitre_execution', 'TA0002-execution'];
    expect(tagsReaching('T1003', tags)).toEqual(['T1003', 'T1003.001']);
    expect(tagsReaching('T1003.001', tags)).toEqual(['T1003.001']);
    expect(tagsReaching('TA0002', tags)).toEqual(['TA0002-execution', 'mitre_execution']);
    expect(tagsReaching('T1611', tags)).toEqual([]);
  });
});

describe('attackCoverage', () => {
  it('puts rules under their techniques, and under a tactic when they name none of its techniques', () => {
    const coverage = attackCoverage([
      { name: 'Shell in container', tags: ['container', 'mitre_execution', 'T1059'] },
      { name: 'Dump shadow', tags: ['mitre_credential_access', 'T1003.008'] },
      { name: 'Escape', tags: ['mitre_privilege_escalation', 'mitre_persistence', 'T1611'] },
      { name: 'Odd one', tags: ['mitre_discovery'] },
      { name: 'Untagged', tags: ['host'] },
    ]);
    expect(Object.fromEntries(coverage.techniques)).toEqual({
      T1059: ['Shell in container'],
      T1003: ['Dump shadow'],
      'T1003.008': ['Dump shadow'],
      T1611: ['Escape'],
    });
    // T1611 is a Privilege Escalation technique: the rule's Persistence claim shows at the tactic.
    expect(Object.fromEntries(coverage.tacticOnly)).toEqual({
      TA0003: ['Escape'],
      TA0007: ['Odd one'],
    });
  });
});
