import { setGrant } from '../../services/members/environment-grants';
import { orgActorProcedure } from '../../trpc';
import { setEnvironmentGrantInput, setEnvironmentGrantOutput } from './environment-grant.schema';

/** Admins set a member's role in one environment and whether they promote into it. */
export const setEnvironmentGrant = orgActorProcedure('admin')
  .input(setEnvironmentGrantInput)
  .output(setEnvironmentGrantOutput)
  .mutation(({ ctx, input }) => setGrant({ organizationId: ctx.org.id, ...input, actor: ctx.actor }));
