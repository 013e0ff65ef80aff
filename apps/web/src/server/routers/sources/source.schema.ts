import { z } from 'zod';

export const sourceItem = z.object({
  id: z.string(),
  kind: z.enum(['k8s_audit', 'github', 'okta', 'aws_cloudtrail', 'gcp_auditlog', 'falco']),
  name: z.string(),
  enabled: z.boolean(),
  environment: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  config: z.record(z.string(), z.unknown()),
  tokenPrefix: z.string().nullable(),
  /** Names of stored secrets (values never leave the server); null when unreadable. */
  secretNames: z.array(z.string()).nullable(),
  hasSecrets: z.boolean(),
  lastEventAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  connection: z.object({
    endpoint: z.string().nullable(),
    snippet: z.object({ language: z.enum(['yaml', 'text']), title: z.string(), text: z.string() }).nullable(),
  }),
});

/** A source with the credential issued by this request (shown once). */
export const sourceWithCredential = z.object({ source: sourceItem, credential: z.string().nullable() });
