import { removeEnvironmentOverride as removeOverrideService } from '../../services/rules/save-environment-override';
import { environmentActorProcedure } from '../../trpc';
import { overrideSaveOutput, removeEnvironmentOverrideInput } from './save-environment-override.schema';

/** Authors drop an environment's override so the active version's value applies again. */
export const removeEnvironmentOverride = environmentActorProcedure('author')
  .input(removeEnvironmentOverrideInput)
  .output(overrideSaveOutput)
  .mutation(async ({ ctx, input }) => {
    await ctx.requireEnvironment({ environmentId: input.environmentId });
    return removeOverrideService({ organizationId: ctx.org.id, actor: ctx.actor }, input);
  });
