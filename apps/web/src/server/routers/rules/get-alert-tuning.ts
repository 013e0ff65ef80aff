import { EXCEPTION_COMPS } from '@peregrine/engine';
import { getAlertTuning as getAlertTuningService } from '../../services/rules/get-alert-tuning';
import { orgActorProcedure } from '../../trpc';
import { getAlertTuningInput, getAlertTuningOutput } from './get-alert-tuning.schema';

/** What a rule test or an exception made from an alert starts from: its event, rule sets and versions. */
export const getAlertTuning = orgActorProcedure('viewer')
  .input(getAlertTuningInput)
  .output(getAlertTuningOutput)
  .query(async ({ ctx, input }) => ({
    ...(await getAlertTuningService(ctx.org.id, input.alertId)),
    comps: [...EXCEPTION_COMPS],
  }));
