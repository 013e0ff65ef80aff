import 'server-only';
import { templateProblem } from '@peregrine/engine';
import { ChannelConfigSchemas, ChannelSecretSchemas, type NotificationKind } from '@peregrine/protocol';
import type { z } from 'zod';
import { AppError } from '../../errors/app-error';
import type { ChannelSettingsInput } from '../../routers/notifications/notification.schema';
import { sourceSecretKey } from '../sources/source-settings';

/** The key channel secrets are encrypted with (the one cloud-source secrets use), or null. */
export const channelSecretKey = sourceSecretKey;

/** The key, for changes that store secrets; a coded error explains what to set. */
export function requireChannelSecretKey(): Buffer {
  const key = channelSecretKey();
  if (!key)
    throw new AppError(
      'UNAVAILABLE',
      'Channel secrets cannot be stored: set PEREGRINE_SECRET_KEY (32 bytes, base64) for the console and the collector.',
    );
  return key;
}

function firstIssue(error: z.ZodError, what: string): AppError {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.map(String).join('.') : what;
  return new AppError('INVALID_INPUT', `${where}: ${issue?.message ?? 'invalid'}`);
}

/**
 * A channel's settings checked against its kind: the config in full, the secrets in full on
 * creation and (empty ones left out, meaning "keep") on update, the templates compiled.
 */
export function checkChannelSettings(
  settings: ChannelSettingsInput,
  mode: 'create' | 'update',
): { config: Record<string, unknown>; secrets: Record<string, string> } {
  const kind: NotificationKind = settings.kind;
  const config = (ChannelConfigSchemas[kind] as z.ZodType<Record<string, unknown>>).safeParse(
    settings.config,
  );
  if (!config.success) throw firstIssue(config.error, 'settings');
  for (const name of ['titleTemplate', 'textTemplate'] as const) {
    const text = config.data[name];
    if (typeof text !== 'string' || text === '') continue;
    const problem = templateProblem(text);
    if (problem) throw new AppError('INVALID_INPUT', `${name}: ${problem}`);
  }
  const typed = Object.fromEntries(Object.entries(settings.secrets).filter(([, v]) => v !== ''));
  const schema = ChannelSecretSchemas[kind] as unknown as z.ZodObject;
  const secrets = (mode === 'create' ? schema : schema.partial()).strict().safeParse(typed);
  if (!secrets.success) throw firstIssue(secrets.error, 'secrets');
  return { config: config.data, secrets: secrets.data as Record<string, string> };
}
