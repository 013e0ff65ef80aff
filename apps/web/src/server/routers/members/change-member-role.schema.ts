import { z } from 'zod';
import { roleSchema } from '../../roles';

export const changeMemberRoleInput = z.object({ userId: z.string().min(1).max(200), role: roleSchema });
export const changeMemberRoleOutput = z.object({ userId: z.string(), role: roleSchema });
