import 'server-only';
import {
  getOrganizationEnvironment,
  recordAuditEntry,
  registerSensor as registerSensorRow,
} from '@peregrine/db';
import { serverEnv } from '@/env';
import { db } from '../../db';
import { AppError } from '../../errors/app-error';
import type { RequestActor } from '../../trpc';
import { withDbErrors } from '../../errors/error-mapping';
import { auditActor } from '../audit/audit-actor';

/** POSIX-shell single quoting, so a value can never break out of the command. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'"'"'`)}'`;
}

/**
 * The command that starts peregrine-sensor against this collector with this key. The variables
 * go after `sudo` because sudo drops the caller's environment.
 */
export function sensorInstallCommand(collectorUrl: string, key: string): string {
  return `sudo PEREGRINE_COLLECTOR_URL=${shellQuote(collectorUrl)} PEREGRINE_SENSOR_KEY=${shellQuote(key)} peregrine-sensor`;
}

/**
 * Registers a sensor in one of the organisation's environments. Its key is returned once
 * (stored only as SHA-256 by packages/db), with the command that starts the sensor.
 */
export async function registerSensor(input: {
  organizationId: string;
  environmentId: string;
  name: string;
  actor: RequestActor;
}): Promise<{
  sensorId: string;
  name: string;
  keyPrefix: string;
  key: string;
  installCommand: string;
  collectorUrl: string;
}> {
  const environment = await getOrganizationEnvironment(db(), input.organizationId, input.environmentId);
  if (!environment) throw new AppError('NOT_FOUND', 'Environment not found.');
  const registered = await withDbErrors(() =>
    registerSensorRow(db(), {
      environmentId: environment.id,
      name: input.name,
      maxSensors: serverEnv().quotas.sensors,
    }),
  );
  // The collector's repository registers without an actor; the audit entry follows it.
  await recordAuditEntry(db(), auditActor(input.actor), {
    organizationId: input.organizationId,
    action: 'sensor.register',
    targetType: 'sensor',
    targetId: registered.sensorId,
    after: { name: registered.name, environment: environment.name, keyPrefix: registered.keyPrefix },
  });
  const collectorUrl = serverEnv().collectorUrl;
  return {
    sensorId: registered.sensorId,
    name: registered.name,
    keyPrefix: registered.keyPrefix,
    key: registered.apiKey,
    collectorUrl,
    installCommand: sensorInstallCommand(collectorUrl, registered.apiKey),
  };
}
