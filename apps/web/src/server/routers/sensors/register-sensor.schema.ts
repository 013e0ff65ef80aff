import { z } from 'zod';

export const registerSensorInput = z.object({
  environmentId: z.uuid('Pick an environment'),
  name: z
    .string()
    .trim()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
      'Use letters, digits, dots, dashes and underscores (a host name works)',
    ),
});
export const registerSensorOutput = z.object({
  sensorId: z.string(),
  name: z.string(),
  keyPrefix: z.string(),
  /** The sensor key in clear: shown once, stored only as its SHA-256. */
  key: z.string(),
  collectorUrl: z.string(),
  installCommand: z.string(),
});
