import { z } from 'zod';

/**
 * Per-kind settings of a cloud source, as the collector reads them (apps/collector/src/ingest/*):
 * `config` is stored in clear, `secrets` encrypted and write-only.
 */
const optionalSecret = z.string().trim().max(4096).optional();
const pollInterval = (defaultSeconds: number, max: number) =>
  z.number().int().min(1, 'At least 1 second').max(max).default(defaultSeconds);

/** An Okta org: `acme`, `acme.okta.com`, or a full URL for custom domains (kept as baseUrl). */
export const oktaDomain = z
  .string()
  .trim()
  .min(1, 'Enter your Okta domain')
  .max(253)
  .refine(
    (value) => /^[a-z0-9-]+$/i.test(value) || /^(https:\/\/)?[a-z0-9.-]+\.[a-z]{2,}\/?$/i.test(value),
    'Enter an Okta domain such as acme.okta.com',
  );

export const k8sAuditSettings = z.object({ kind: z.literal('k8s_audit'), config: z.object({}).default({}) });

export const falcoSettings = z.object({ kind: z.literal('falco'), config: z.object({}).default({}) });

export const githubSettings = z.object({
  kind: z.literal('github'),
  config: z
    .object({
      apiBaseUrl: z.url().optional(),
      scanDiffs: z.boolean().default(true),
      scanWorkflows: z.boolean().default(true),
      allowSha1Signature: z.boolean().default(false),
    })
    .default({ scanDiffs: true, scanWorkflows: true, allowSha1Signature: false }),
  secrets: z
    .object({
      /** HMAC secret set on the GitHub webhook; generated when left empty. */
      webhookSecret: optionalSecret,
      /** Token for the compare/contents API (private repositories). */
      apiToken: optionalSecret,
    })
    .default({}),
});

/**
 * A server that answers like Okta's System Log API (a local fake, a recording proxy), used instead
 * of an Okta domain: an explicit choice in the form, never inferred from the domain field. The
 * collector still reaches it only through its outbound policy, so a loopback or private address
 * also needs the operator's COLLECTOR_OUTBOUND_ALLOW.
 */
export const oktaTestServerUrl = z
  .url({ protocol: /^https?$/, error: 'Enter the test server URL, such as http://127.0.0.1:9000' })
  .max(2048);

export const oktaSettings = z.object({
  kind: z.literal('okta'),
  config: z
    .object({
      domain: oktaDomain.optional(),
      testServerUrl: oktaTestServerUrl.optional(),
      /** false: event hooks only, no System Log polling and no API token. */
      polling: z.boolean().default(true),
      pollIntervalSeconds: pollInterval(10, 3600),
    })
    .refine((c) => !(c.domain && c.testServerUrl), {
      message: 'Give an Okta domain or a test server, not both',
      path: ['testServerUrl'],
    })
    .refine((c) => !c.polling || c.domain || c.testServerUrl, {
      message: 'Enter your Okta domain (or turn polling off and use the event hook only)',
      path: ['domain'],
    }),
  secrets: z.object({ apiToken: optionalSecret }).default({}),
});

export const cloudTrailSettings = z.object({
  kind: z.literal('aws_cloudtrail'),
  config: z.discriminatedUnion('mode', [
    z.object({
      mode: z.literal('s3'),
      bucket: z
        .string()
        .trim()
        .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'Enter an S3 bucket name'),
      prefix: z.string().trim().max(1024).optional(),
      region: z
        .string()
        .trim()
        .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'Enter a region such as us-east-1')
        .default('us-east-1'),
      endpoint: z.url().optional(),
      forcePathStyle: z.boolean().default(false),
      pollIntervalSeconds: pollInterval(60, 86_400),
    }),
    z.object({
      mode: z.literal('folder'),
      // The collector reads it only under its COLLECTOR_FOLDER_ROOTS (checked there, after
      // symlinks); here the shape: an absolute path without `..` segments.
      path: z
        .string()
        .trim()
        .min(1, 'Enter the folder the collector reads')
        .max(4096)
        .refine(
          (p) => p.startsWith('/') && !p.includes('\0') && !p.split('/').includes('..'),
          'Enter an absolute folder path without ".." (it must lie under a folder the collector’s operator allows)',
        ),
      pollIntervalSeconds: pollInterval(60, 86_400),
    }),
  ]),
  secrets: z
    .object({ accessKeyId: optionalSecret, secretAccessKey: optionalSecret, sessionToken: optionalSecret })
    .default({}),
});

export const sourceSettings = z.discriminatedUnion('kind', [
  k8sAuditSettings,
  githubSettings,
  oktaSettings,
  cloudTrailSettings,
  falcoSettings,
]);

export type SourceSettings = z.infer<typeof sourceSettings>;
export type SourceSettingsInput = z.input<typeof sourceSettings>;

/** The kinds the console configures (gcp_auditlog has no collector module yet). */
export const CONFIGURABLE_SOURCE_KINDS = ['k8s_audit', 'github', 'okta', 'aws_cloudtrail', 'falco'] as const;
export const sourceKind = z.enum(CONFIGURABLE_SOURCE_KINDS);
export type ConfigurableSourceKind = z.infer<typeof sourceKind>;

/** Secret names each kind may store. */
export const SECRET_NAMES: Record<ConfigurableSourceKind, readonly string[]> = {
  k8s_audit: [],
  falco: [],
  github: ['webhookSecret', 'apiToken'],
  okta: ['apiToken'],
  aws_cloudtrail: ['accessKeyId', 'secretAccessKey', 'sessionToken'],
};

export const sourceName = z
  .string()
  .trim()
  .min(1, 'Name the source')
  .max(80)
  .regex(/^[^\s].*$/, 'Name the source');
