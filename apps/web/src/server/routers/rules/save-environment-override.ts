import { saveEnvironmentOverride as saveOverrideService } from '../../services/rules/save-environment-override';
import { environmentActorProcedure } from '../../trpc';
import { overrideSaveOutput, saveEnvironmentOverrideInput } from './save-environment-override.schema';

/** Authors set an environment's list items or macro condition; refused when the merged rules do not compile. */
export const saveEnvironmentOverride = environmentActorProcedure('author')
  .input(saveEnvironmentOverrideInput)
  .output(overrideSaveOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.environmentId });
    return saveOverrideService({ organizationId: ctx.org.id, actor: ctx.actor }, input);
  });
