import { getAttackMatrix as getAttackMatrixService } from '../../services/attack/get-attack-matrix';
import { environmentActorProcedure } from '../../trpc';
import { getAttackMatrixInput, getAttackMatrixOutput } from './get-attack-matrix.schema';

/** ATT&CK tactics and techniques: rule coverage in one environment and its alerts over a range. */
export const getAttackMatrix = environmentActorProcedure('viewer')
  .input(getAttackMatrixInput)
  .output(getAttackMatrixOutput)
  .query(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.environmentId });
    return getAttackMatrixService({
      organizationId: ctx.org.id,
      environmentId: input.environmentId,
      range: input.range,
      from: input.from,
      to: input.to,
    });
  });
