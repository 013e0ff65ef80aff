import '@/lib/zod-jitless';
import { createAuthClient } from 'better-auth/react';
import { withBasePath } from '@/lib/base-path';

/** better-auth's browser client: same origin, under the console's sub-path. */
export const authClient = createAuthClient({ basePath: withBasePath('/api/auth') });
