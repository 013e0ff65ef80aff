import 'server-only';
import { recordAuthEvent as recordAuthEventRow } from '@peregrine/db';
import { db } from '../../db';

/**
 * Records a sign-in, sign-out or failed sign-in in the audit log (better-auth's hooks call this,
 * see auth.ts). A failure to write is logged, never turned into a failed sign-in or sign-out.
 */
export async function recordAuthEvent(input: Parameters<typeof recordAuthEventRow>[1]): Promise<void> {
  try {
    await recordAuthEventRow(db(), input);
  } catch (error) {
    console.error(`audit entry ${input.action} could not be written:`, (error as Error).message);
  }
}
