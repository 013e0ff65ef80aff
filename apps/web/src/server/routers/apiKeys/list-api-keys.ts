import { listApiKeys as listApiKeysService } from '../../services/api-keys/list-api-keys';
import { orgActorProcedure } from '../../trpc';
import { listApiKeysOutput } from './list-api-keys.schema';

/** Admins list the organisation's API keys. */
export const listApiKeys = orgActorProcedure('admin')
  .output(listApiKeysOutput)
  .query(({ ctx }) => listApiKeysService(ctx.org.id));
