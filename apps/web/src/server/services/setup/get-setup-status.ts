import 'server-only';
import { needsFirstRunSetup } from '@peregrine/db';
import { db } from '../../db';

// Setup closes once and never reopens, so after the first "complete" answer this process stops
// asking the database on every page view.
let setupComplete = false;

/** Whether first-run setup (creating the first admin) is still open. */
export async function getSetupStatus(): Promise<{ needsSetup: boolean }> {
  if (setupComplete) return { needsSetup: false };
  const needsSetup = await needsFirstRunSetup(db());
  if (!needsSetup) setupComplete = true;
  return { needsSetup };
}

/** Records that setup just completed in this process. */
export function markSetupComplete(): void {
  setupComplete = true;
}
