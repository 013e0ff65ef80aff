/**
 * Upstream plugin rules files (falcosecurity/plugins 0b3cbd8, copied under testdata/falco; origin
 * in testdata/README.md) load with Peregrine's built-in sources standing in for the plugins they
 * require, as they load in Falco with those plugins, and their rules run on those sources' events.
 */
// biome-ignore lint/style/noRestrictedImports: tests read the repository's test data from disk
import { readFileSync } from 'node:fs';
// biome-ignore lint/style/noRestrictedImports: tests read the repository's test data from disk
import { dirname, resolve } from 'node:path';
// biome-ignore lint/style/noRestrictedImports: tests read the repository's test data from disk
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinSources } from './default-sources.js';
import { numberedPluginEvent } from '../sources/plugin/common.js';
import { load } from './load.js';
import { BUILTIN_PLUGINS, pluginOfSource } from './plugins.js';

const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../testdata/falco/plugin-rules');
const file = (path: string) => ({ name: path, content: readFileSync(resolve(DIR, path), 'utf8') });

const UPSTREAM = [
  { path: 'k8saudit/k8s_audit_rules.yaml', source: 'k8s_audit', plugin: 'k8saudit' },
  { path: 'cloudtrail/aws_cloudtrail_rules.yaml', source: 'aws_cloudtrail', plugin: 'cloudtrail' },
  { path: 'github/github.yaml', source: 'github', plugin: 'github' },
  { path: 'okta/okta_rules.yaml', source: 'okta', plugin: 'okta' },
  { path: 'gcpaudit/gcp_auditlog_rules.yaml', source: 'gcp_auditlog', plugin: 'gcpaudit' },
];

describe('upstream plugin rules files', () => {
  for (const u of UPSTREAM) {
    it(`${u.path} loads with no error or warning on the built-in ${u.source} source`, () => {
      const r = load([file(u.path)]);
      expect(r.files[0]?.errors.map((e) => e.message)).toEqual([]);
      expect(r.files[0]?.warnings.map((e) => e.message)).toEqual([]);
      expect(r.ok).toBe(true);
      const rules = r.ruleset.rules.filter((x) => x.source === u.source);
      expect(rules.length).toBeGreaterThan(0);
      expect(pluginOfSource(u.source)?.name).toBe(u.plugin);
    });
  }

  it('GKE additions need the k8saudit-gke plugin, which Peregrine does not claim', () => {
    const r = load([file('k8saudit/k8s_audit_rules.yaml'), file('k8saudit/k8s_audit_rules_gke.yaml')]);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.message)).toContain(
      'Plugin requirement not satisfied, must load one of: k8saudit-gke (>= 0.9.0)',
    );
  });

  it('a requirement newer than the built-in version is refused with Falco’s message', () => {
    const r = load([
      { name: 'r.yaml', content: '- required_plugin_versions:\n  - name: okta\n    version: 1.0.0\n' },
    ]);
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]?.message).toBe(
      "Plugin 'okta' version '0.11.0' is not compatible with required plugin version '1.0.0'",
    );
  });

  it('the upstream GitHub and CloudTrail rules fire on their events', () => {
    const gh = load([file('github/github.yaml')]).ruleset;
    const ping = { webhook_type: 'ping', hook: { id: 7, type: 'Organization' }, sender: { login: 'dev' } };
    expect(gh.evaluate(ping, 'github').map((a) => a.rule)).toContain('Webhook Connected');
    expect(gh.evaluate({ ...ping, webhook_type: 'push' }, 'github').map((a) => a.rule)).not.toContain(
      'Webhook Connected',
    );

    const ct = load([file('cloudtrail/aws_cloudtrail_rules.yaml')]).ruleset;
    const login = {
      eventVersion: '1.08',
      eventSource: 'signin.amazonaws.com',
      eventName: 'ConsoleLogin',
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.9',
      userIdentity: { type: 'IAMUser', userName: 'alice', accountId: '123456789012' },
      responseElements: { ConsoleLogin: 'Success' },
      additionalEventData: { MFAUsed: 'No' },
      eventTime: '2026-12-05T10:00:00Z',
    };
    expect(ct.evaluate(login, 'aws_cloudtrail').map((a) => a.rule)).toContain('Console Login Without MFA');
    const withMfa = { ...login, additionalEventData: { MFAUsed: 'Yes' } };
    expect(ct.evaluate(withMfa, 'aws_cloudtrail').map((a) => a.rule)).not.toContain(
      'Console Login Without MFA',
    );
  });

  it('a numbered CloudTrail event has evt.num, so the upstream `evt.num > 0` rule fires', () => {
    const rs = load([file('cloudtrail/aws_cloudtrail_rules.yaml')]).ruleset.withEnabled(
      { name: 'All Cloudtrail Events' },
      true,
    );
    const record = { eventVersion: '1.08', eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' };
    expect(rs.evaluate(record, 'aws_cloudtrail').map((a) => a.rule)).not.toContain('All Cloudtrail Events');
    const [alert] = rs
      .evaluate(numberedPluginEvent(record, 3), 'aws_cloudtrail')
      .filter((a) => a.rule === 'All Cloudtrail Events');
    expect(alert?.output_fields['evt.num']).toBe(3);
    // An envelope keeps its time and gets the number.
    const enveloped = numberedPluginEvent({ ts: '1700000000000000000', payload: record }, 4);
    expect(enveloped).toEqual({ ts: '1700000000000000000', payload: record, num: 4 });
  });

  it('every built-in plugin names a source the engine has', () => {
    const names = new Set(builtinSources().map((s) => s.name));
    for (const p of BUILTIN_PLUGINS) expect(names, p.name).toContain(p.source);
  });
});
