import { createFirstAdmin as createFirstAdminService } from '../../services/setup/create-first-admin';
import { publicProcedure } from '../../trpc';
import { createFirstAdminInput, createFirstAdminOutput } from './create-first-admin.schema';

/** Creates the first admin, their organisation and its environments; closed afterwards. */
export const createFirstAdmin = publicProcedure
  .input(createFirstAdminInput)
  .output(createFirstAdminOutput)
  .mutation(({ input, ctx }) =>
    createFirstAdminService({
      name: input.name,
      email: input.email,
      password: input.password,
      organizationName: input.organizationName,
      setupToken: input.setupToken,
      headers: ctx.headers,
      ip: ctx.clientIp,
    }),
  );
