import 'server-only';
import { randomBytes } from 'node:crypto';
import { type CloudSourceListItem, parseSecretKey } from '@peregrine/db';
import { serverEnv } from '@/env';
import { AppError } from '../../errors/app-error';
import type { SourceSettings } from '../../routers/sources/source-settings.schema';
import { type SourceConnection, sourceConnection } from './source-connection';

/** PEREGRINE_SECRET_KEY as key bytes, or null when unset or malformed (secrets unreadable). */
export function sourceSecretKey(): Buffer | null {
  const raw = serverEnv().secretKey;
  if (!raw) return null;
  try {
    return parseSecretKey(raw);
  } catch {
    return null;
  }
}

/** The key, for operations that must store secrets; a coded error explains what to set. */
export function requireSourceSecretKey(): Buffer {
  const key = sourceSecretKey();
  if (!key) {
    throw new AppError(
      'UNAVAILABLE',
      'Source secrets cannot be stored: set PEREGRINE_SECRET_KEY (32 bytes, base64) for the console and the collector.',
    );
  }
  return key;
}

/** A random GitHub webhook secret (GitHub accepts any string; 32 bytes of hex is plenty). */
export function generateWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

const OKTA_ORG = /^[a-z0-9-]+$/i;

/**
 * The collector's view of a form's settings: `config` exactly as the ingest module parses it,
 * and the secrets that were typed (empty fields mean "keep" or "none").
 */
export function storedSettings(settings: SourceSettings): {
  config: Record<string, unknown>;
  secrets: Record<string, string>;
} {
  const secrets: Record<string, string> = {};
  if ('secrets' in settings) {
    for (const [name, value] of Object.entries(settings.secrets)) if (value) secrets[name] = value;
  }
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== ''));
  switch (settings.kind) {
    case 'okta': {
      const { testServerUrl, polling, pollIntervalSeconds } = settings.config;
      const domain = settings.config.domain?.replace(/^https:\/\//i, '').replace(/\/+$/, '');
      // baseUrl / organization / polling are what apps/collector/src/ingest/okta.ts reads.
      const target = testServerUrl
        ? { testServerUrl, baseUrl: testServerUrl.replace(/\/+$/, '') }
        : domain
          ? {
              domain,
              ...(OKTA_ORG.test(domain) ? { organization: domain } : { baseUrl: `https://${domain}` }),
            }
          : {};
      return { config: { ...target, polling, pollIntervalSeconds }, secrets };
    }
    case 'aws_cloudtrail':
      if (Boolean(secrets.accessKeyId) !== Boolean(secrets.secretAccessKey)) {
        throw new AppError(
          'INVALID_INPUT',
          'Give both the access key ID and the secret access key, or neither.',
        );
      }
      return { config: defined(settings.config), secrets };
    case 'github':
      return { config: defined(settings.config), secrets };
    default:
      return { config: {}, secrets };
  }
}

/** A cloud source for the console (dates as ISO strings, connection details without credentials). */
export interface SourceItem {
  id: string;
  kind: CloudSourceListItem['kind'];
  name: string;
  enabled: boolean;
  environment: { id: string; name: string; displayName: string };
  config: Record<string, unknown>;
  tokenPrefix: string | null;
  secretNames: string[] | null;
  hasSecrets: boolean;
  lastEventAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  createdAt: string;
  updatedAt: string;
  connection: SourceConnection;
}

export function toSourceItem(row: CloudSourceListItem, credential: string | null = null): SourceItem {
  return {
    ...row,
    lastEventAt: row.lastEventAt?.toISOString() ?? null,
    lastErrorAt: row.lastErrorAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    connection: sourceConnection(serverEnv().collectorUrl, row, credential),
  };
}
