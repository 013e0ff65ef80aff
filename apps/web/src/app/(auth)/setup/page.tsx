import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SetupForm } from '@/features/auth/setup-form';
import { getSetupStatus } from '@/server/services/setup/get-setup-status';

export const metadata: Metadata = { title: 'Set up' };

export default async function SetupPage() {
  // Setup is a one-time door: once the first admin exists it leads to sign-in instead.
  if (!(await getSetupStatus()).needsSetup) redirect('/sign-in');
  return <SetupForm />;
}
