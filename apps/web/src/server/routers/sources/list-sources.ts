import { listSources as listSourcesService } from '../../services/sources/list-sources';
import { orgActorProcedure } from '../../trpc';
import { listSourcesInput, listSourcesOutput } from './list-sources.schema';

/** Every member sees the cloud sources and their health (never their secrets). */
export const listSources = orgActorProcedure('viewer')
  .input(listSourcesInput)
  .output(listSourcesOutput)
  .query(({ ctx, input }) =>
    listSourcesService({ organizationId: ctx.org.id, environmentId: input.environmentId }),
  );
