import { getQuotas as getQuotasService } from '../../services/organization/get-quotas';
import { orgActorProcedure } from '../../trpc';
import { getQuotasOutput } from './get-quotas.schema';

/** The organisation's sensors, sources and alerts against the instance's per-organisation limits. */
export const getQuotas = orgActorProcedure('viewer')
  .output(getQuotasOutput)
  .query(({ ctx }) => getQuotasService({ organizationId: ctx.org.id }));
