/**
 * Secret and crypto-miner detection for GitHub pushes and workflows, producing the `files` and
 * `workflow_miner_detections` keys that Falco's github plugin adds (and `github.diff.*` /
 * `github.workflow.*` fields read). Rule names (`desc`) are the plugin's, so rules and outputs
 * that name them keep working. The patterns are written here for JavaScript's regex engine
 * (which has no inline `(?i)` groups; case-insensitive keywords are spelled out with `ci()`).
 *
 * Deliberate differences from the Go plugin, each a fix:
 * - line numbers: the first line after a hunk header `@@ … +c,d @@` is line `c` (the plugin's
 *   counter is one ahead);
 * - the leading `+` is removed before matching, so anchored patterns (slack_webhook) can match;
 * - heroku_api_key matches a full 8-4-4-4-12 UUID (the plugin's pattern lacks a group and
 *   cannot match a real key).
 */

export interface SecretMatch {
  line: number;
  type: string;
  desc: string;
  platform: string;
}

export interface FileSecrets {
  name: string;
  /** null when nothing matched (the plugin marshals an empty Go slice as null). */
  matches: SecretMatch[] | null;
}

interface SecretRule {
  desc: string;
  type: 'key' | 'client' | 'secret';
  platform: string;
  re: RegExp;
}

/** A case-insensitive spelling of a literal keyword: `ci('fb')` -> `[Ff][Bb]`. */
function ci(word: string): string {
  return [...word]
    .map((c) => (/[a-z]/i.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : `\\${c}`))
    .join('');
}

const Q = `["']`;
const ASSIGN = String.raw`\s*(?::|=>|=)\s*`;
const AWS_WORD = `(?:AWS|aws|Aws)?_?`;

/** Checked in this order; the first hit is the line's only match. */
const SECRET_RULES: readonly SecretRule[] = [
  {
    desc: 'aws_access_key',
    type: 'key',
    platform: 'AWS',
    re: /(?:A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}/,
  },
  {
    desc: 'aws_secret_key',
    type: 'key',
    platform: 'AWS',
    re: new RegExp(
      `${Q}?${AWS_WORD}(?:SECRET|secret|Secret)?_?(?:ACCESS|access|Access)?_?(?:KEY|key|Key)${Q}?${ASSIGN}${Q}?[A-Za-z0-9/+=]{40}${Q}?`,
    ),
  },
  {
    desc: 'aws_mws_key',
    type: 'key',
    platform: 'AWS',
    re: /amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/,
  },
  {
    desc: 'aws_account_id',
    type: 'key',
    platform: 'AWS',
    re: new RegExp(
      `${Q}?${AWS_WORD}(?:ACCOUNT|account|Account)_?(?:ID|id|Id)?${Q}?${ASSIGN}${Q}?[0-9]{4}-?[0-9]{4}-?[0-9]{4}${Q}?`,
    ),
  },
  {
    desc: 'facebook_secret_key',
    type: 'key',
    platform: 'Facebook',
    re: new RegExp(`(?:${ci('facebook')}|${ci('fb')}).{0,20}${Q}[0-9a-f]{32}${Q}`),
  },
  {
    desc: 'facebook_client_id',
    type: 'key',
    platform: 'Facebook',
    re: new RegExp(`(?:facebook|fb).{0,20}${Q}[0-9]{13,17}${Q}`, 'i'),
  },
  {
    desc: 'twitter_secret_key',
    type: 'key',
    platform: 'Twitter',
    re: new RegExp(`twitter.{0,20}${Q}[0-9a-z]{35,44}${Q}`, 'i'),
  },
  {
    desc: 'twitter_client_id',
    type: 'client',
    platform: 'Twitter',
    re: new RegExp(`twitter.{0,20}${Q}[0-9a-z]{18,25}${Q}`, 'i'),
  },
  { desc: 'github_personal_access_token', type: 'key', platform: 'Github', re: /ghp_[0-9a-zA-Z]{36}/ },
  { desc: 'github_oauth_access_token', type: 'key', platform: 'Github', re: /gho_[0-9a-zA-Z]{36}/ },
  { desc: 'github_app_token', type: 'key', platform: 'Github', re: /(?:ghu|ghs)_[0-9a-zA-Z]{36}/ },
  { desc: 'github_refresh_token', type: 'key', platform: 'Github', re: /ghr_[0-9a-zA-Z]{76}/ },
  {
    desc: 'linkedin_client_id',
    type: 'client',
    platform: 'LinkedIn',
    re: new RegExp(`${ci('linkedin')}.{0,20}[0-9a-z]{12}`),
  },
  { desc: 'linkedin_secret_key', type: 'secret', platform: 'LinkedIn', re: /linkedin.{0,20}[0-9a-z]{16}/i },
  { desc: 'slack', type: 'key', platform: 'Slack', re: /xox[baprs]-(?:[0-9a-zA-Z]{10,48})?/ },
  {
    desc: 'asymmetric_private_key',
    type: 'key',
    platform: 'AsymmetricPrivateKey',
    re: /-----BEGIN (?:(?:EC|PGP|DSA|RSA|OPENSSH) )?PRIVATE KEY(?: BLOCK)?-----/,
  },
  { desc: 'google_api_key', type: 'key', platform: 'Google', re: /AIza[0-9A-Za-z_-]{35}/ },
  { desc: 'google_gcp_service_account', type: 'key', platform: 'Google', re: /"type": "service_account"/ },
  {
    desc: 'heroku_api_key',
    type: 'key',
    platform: 'Heroku',
    re: /heroku.{0,20}[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i,
  },
  {
    desc: 'mailchimp_api_key',
    type: 'key',
    platform: 'Mailchimp',
    re: /(?:mailchimp|mc).{0,20}[0-9a-f]{32}-us[0-9]{1,2}/i,
  },
  // The plugin's keyword prefix is optional, so only the `key-…` part decides.
  { desc: 'mailgun_api_key', type: 'key', platform: 'Mailgun', re: /key-[0-9a-z]{32}/ },
  {
    desc: 'paypal_braintree_access_token',
    type: 'key',
    platform: 'Paypal',
    re: /access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}/,
  },
  { desc: 'picatic_api_key', type: 'key', platform: 'Picatic', re: /sk_live_[0-9a-z]{32}/ },
  { desc: 'sendgrid_api_key', type: 'key', platform: 'SendGrid', re: /SG\.\w{16,32}\.\w{16,64}/ },
  {
    desc: 'slack_webhook',
    type: 'key',
    platform: 'slack',
    re: /^https:\/\/hooks\.slack\.com\/services\/T[a-zA-Z0-9_]{8}\/B[a-zA-Z0-9_]{8,12}\/[a-zA-Z0-9_]{24}$/,
  },
  { desc: 'stripe_api_key', type: 'key', platform: 'Stripe', re: /stripe.{0,20}[sr]k_live_[0-9a-z]{24}/i },
  { desc: 'square_access_token', type: 'key', platform: 'square', re: /sq0atp-[0-9A-Za-z_-]{22}/ },
  { desc: 'square_oauth_secret', type: 'key', platform: 'square', re: /sq0csp-[0-9A-Za-z_-]{43}/ },
  { desc: 'twilio_api_key', type: 'key', platform: 'twilio', re: /twilio.{0,20}SK[0-9a-f]{32}/i },
  {
    desc: 'dynatrace_token',
    type: 'key',
    platform: 'Dynatrace',
    re: /dt0[a-zA-Z][0-9]{2}\.[A-Z0-9]{24}\.[A-Z0-9]{64}/,
  },
  { desc: 'shopify_shared_secret', type: 'key', platform: 'Shopify', re: /shpss_[a-fA-F0-9]{32}/ },
  { desc: 'shopify_access_token', type: 'key', platform: 'Shopify', re: /shpat_[a-fA-F0-9]{32}/ },
  { desc: 'shopify_custom_app_access_token', type: 'key', platform: 'Shopify', re: /shpca_[a-fA-F0-9]{32}/ },
  { desc: 'shopify_private_app_access_token', type: 'key', platform: 'Shopify', re: /shppa_[a-fA-F0-9]{32}/ },
  {
    desc: 'pypi_upload_token',
    type: 'key',
    platform: 'pypi',
    re: /pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}/,
  },
];

/** The rule names, in matching order (for documentation and tests). */
export const SECRET_RULE_NAMES: readonly string[] = SECRET_RULES.map((r) => r.desc);

/** The first secret rule a line matches, or undefined. */
export function findSecret(line: string): Omit<SecretMatch, 'line'> | undefined {
  for (const r of SECRET_RULES)
    if (r.re.test(line)) return { type: r.type, desc: r.desc, platform: r.platform };
  return undefined;
}

/** A patch whose first line is not a hunk header: the diff cannot be numbered. */
export class PatchFormatError extends Error {
  constructor(file: string) {
    super(`patch of ${file} does not start with a hunk header`);
    this.name = 'PatchFormatError';
  }
}

const HUNK = /^@@@? -\d+(?:,\d+)?(?: -\d+(?:,\d+)?)? \+(\d+)(?:,\d+)? @@@?/;

/** Scans the added lines of one unified-diff patch (GitHub's `files[].patch`). */
export function scanPatch(file: string, patch: string | undefined): FileSecrets {
  const matches: SecretMatch[] = [];
  if (patch) {
    let line = 0;
    let first = true;
    for (const text of patch.split('\n')) {
      const hunk = HUNK.exec(text);
      if (first && !hunk) throw new PatchFormatError(file);
      first = false;
      if (hunk) {
        line = Number(hunk[1]);
        continue;
      }
      if (text.startsWith('-')) continue;
      if (text.startsWith('+')) {
        const hit = findSecret(text.slice(1));
        if (hit) matches.push({ line, ...hit });
      }
      line++;
    }
  }
  return { name: file, matches: matches.length > 0 ? matches : null };
}

/** Plain substrings naming crypto miners and pools, tested case-sensitively; the first hit wins. */
const MINER_WORDS: readonly string[] = [
  'xmrig',
  'ccminer',
  't-rex',
  'stratum',
  'pool',
  'hashrate',
  'cryptonight',
  'wallet',
  'gminer',
  'gpuminer',
  'cpuminer',
  'nanominer',
  'nicehash',
  'xmr-stak',
  'nbminer',
  'srbminer',
  'hiveos',
  'ethermine',
  'kryptex',
  '2miners',
  'betterhash',
  'minerstat',
  'raveos',
  'f2pool',
  'unmineable',
  'minergate',
  'cryptotab',
  'lolminer',
  'phoenixminer',
];

export interface MinerDetections {
  name: string;
  matches: { line: number; type: string }[] | null;
}

/** Scans a workflow file's text, line by line (1-based). */
export function scanWorkflow(name: string, text: string): MinerDetections {
  const matches: { line: number; type: string }[] = [];
  text.split('\n').forEach((l, i) => {
    const word = MINER_WORDS.find((w) => l.includes(w));
    if (word) matches.push({ line: i + 1, type: word });
  });
  return { name, matches: matches.length > 0 ? matches : null };
}
