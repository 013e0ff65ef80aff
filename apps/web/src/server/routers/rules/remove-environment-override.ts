import { removeEnvironmentOverride as removeOverrideService } from '../../services/rules/save-environment-override';
import { orgProcedure } from '../../trpc';
import { overrideSaveOutput, removeEnvironmentOverrideInput } from './save-environment-override.schema';

/** Authors drop an environment's override so the active version's value applies again. */
export const removeEnvironmentOverride = orgProcedure('author')
  .input(removeEnvironmentOverrideInput)
  .output(overrideSaveOutput)
  .mutation(({ ctx, input }) =>
    removeOverrideService({ organizationId: ctx.org.id, userId: ctx.viewer.id, headers: ctx.headers }, input),
  );
