import { removeEnvironmentOverride as removeOverrideService } from '../../services/rules/save-environment-override';
import { orgActorProcedure } from '../../trpc';
import { overrideSaveOutput, removeEnvironmentOverrideInput } from './save-environment-override.schema';

/** Authors drop an environment's override so the active version's value applies again. */
export const removeEnvironmentOverride = orgActorProcedure('author')
  .input(removeEnvironmentOverrideInput)
  .output(overrideSaveOutput)
  .mutation(({ ctx, input }) =>
    removeOverrideService({ organizationId: ctx.org.id, actor: ctx.actor }, input),
  );
