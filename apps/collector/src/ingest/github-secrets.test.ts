import { describe, expect, it } from 'vitest';
import {
  findSecret,
  PatchFormatError,
  SECRET_RULE_NAMES,
  scanPatch,
  scanWorkflow,
} from './github-secrets.js';

describe('secret detection', () => {
  it('recognises common credential formats by the plugin rule names', () => {
    const cases: [string, string][] = [
      ['aws_access_key', 'key_id = "AKIAIOSFODNN7EXAMPLE"'],
      ['aws_secret_key', 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"'],
      ['github_personal_access_token', `token: ghp_${'a1B2'.repeat(9)}`],
      ['asymmetric_private_key', '-----BEGIN RSA PRIVATE KEY-----'],
      ['asymmetric_private_key', '-----BEGIN PRIVATE KEY-----'],
      ['google_api_key', `const k = "AIza${'x'.repeat(35)}"`],
      ['slack', 'xoxb-1234567890-abcdefghij'],
      ['heroku_api_key', 'HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef'],
      ['stripe_api_key', `STRIPE = "sk_live_${'a'.repeat(24)}"`],
      ['slack_webhook', `https://hooks.slack.com/services/T12345678/B12345678/${'a'.repeat(24)}`],
      ['facebook_secret_key', `FB_SECRET = "${'0123456789abcdef'.repeat(2)}"`],
    ];
    for (const [desc, line] of cases) expect(findSecret(line)?.desc, line).toBe(desc);
    expect(findSecret('const answer = 42;')).toBeUndefined();
    // The keyword half of facebook_secret_key is case-insensitive, the hex half is not.
    expect(findSecret(`fb_secret = "${'0123456789ABCDEF'.repeat(2)}"`)?.desc).not.toBe('facebook_secret_key');
    expect(SECRET_RULE_NAMES).toHaveLength(35);
    expect(new Set(SECRET_RULE_NAMES).size).toBe(35);
  });

  it('numbers added lines from the hunk header and skips deletions', () => {
    const patch = [
      '@@ -10,4 +20,6 @@ export const config = {',
      ' context line',
      '-aws_key = "AKIAIOSFODNN7EXAMPLE"',
      '+const id = "AKIAIOSFODNN7EXAMPLE";',
      ' more context',
      '@@ -40 +50,2 @@',
      '+-----BEGIN OPENSSH PRIVATE KEY-----',
      '+nothing here',
    ].join('\n');
    expect(scanPatch('src/config.ts', patch)).toEqual({
      name: 'src/config.ts',
      matches: [
        { line: 21, type: 'key', desc: 'aws_access_key', platform: 'AWS' },
        { line: 50, type: 'key', desc: 'asymmetric_private_key', platform: 'AsymmetricPrivateKey' },
      ],
    });
  });

  it('lists clean and binary files with null matches; refuses a patch without a header', () => {
    expect(scanPatch('README.md', '@@ -1 +1 @@\n-old\n+new')).toEqual({ name: 'README.md', matches: null });
    expect(scanPatch('logo.png', undefined)).toEqual({ name: 'logo.png', matches: null });
    expect(() => scanPatch('x', '+AKIAIOSFODNN7EXAMPLE')).toThrow(PatchFormatError);
  });

  it('finds miners in workflow files', () => {
    const wf =
      'name: build\non: push\njobs:\n  b:\n    steps:\n      - run: ./xmrig -o stratum+tcp://pool.example:3333\n';
    expect(scanWorkflow('.github/workflows/ci.yml', wf)).toEqual({
      name: '.github/workflows/ci.yml',
      matches: [{ line: 6, type: 'xmrig' }],
    });
    expect(scanWorkflow('a.yml', 'name: ok\n').matches).toBeNull();
  });
});
