import { z } from 'zod';
import { ATTACK_RANGES } from '../../services/attack/get-attack-matrix';
import { isoDate, prioritySchema } from '../alerts/alert-filter.schema';

export const getAttackMatrixInput = z.object({
  environmentId: z.uuid(),
  /** A preset back from now; null for from/to. */
  range: z.enum(ATTACK_RANGES).nullable().default('7d'),
  from: z.iso.datetime({ offset: true }).nullable().default(null),
  /** Null: now. */
  to: z.iso.datetime({ offset: true }).nullable().default(null),
});

const rule = z.object({
  name: z.string(),
  ruleSet: z.string(),
  priority: prioritySchema,
  source: z.string(),
});

/** A technique or tactic with the rules covering it and the alerts and incidents of the range under it. */
const cell = z.object({
  id: z.string(),
  rules: z.array(rule),
  alerts: z.number().int(),
  alertTags: z.array(z.string()),
  /** Incidents with at least one alert of the range whose tags name it. */
  incidents: z.number().int(),
});

export const getAttackMatrixOutput = z.object({
  environment: z.object({ id: z.string(), name: z.string() }),
  from: isoDate,
  to: isoDate,
  ruleSets: z.array(z.object({ name: z.string(), versionNumber: z.number().int() })),
  problems: z.array(z.object({ ruleSet: z.string(), messages: z.array(z.string()) })),
  activeRules: z.number().int(),
  mappedRules: z.number().int(),
  techniques: z.array(cell),
  tactics: z.array(cell),
});
