import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../auth/password-policy';

/** The first-run form: shared by the browser (instant feedback) and the server (the real check). */
export const createFirstAdminInput = z
  .object({
    name: z.string().trim().min(1, 'Enter your name').max(120),
    email: z.email('Enter a valid email address').max(254),
    password: z
      .string()
      .min(MIN_PASSWORD_LENGTH, `Use at least ${MIN_PASSWORD_LENGTH} characters`)
      .max(MAX_PASSWORD_LENGTH, `Use at most ${MAX_PASSWORD_LENGTH} characters`),
    confirmPassword: z.string(),
    organizationName: z.string().trim().min(1, 'Name your organisation').max(120),
    /** The one-time token printed in the start log (`/setup?token=...`). */
    setupToken: z.string().trim().min(1, 'Enter the setup token from the start log').max(200),
  })
  .refine((value) => value.password === value.confirmPassword, {
    path: ['confirmPassword'],
    message: 'The passwords do not match',
  });

export type CreateFirstAdminInput = z.infer<typeof createFirstAdminInput>;

export const createFirstAdminOutput = z.object({
  userId: z.string(),
  organization: z.object({ id: z.string(), name: z.string(), slug: z.string() }),
});
