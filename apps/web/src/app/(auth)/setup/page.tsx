import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SetupForm } from '@/features/auth/setup-form';
import { getSetupStatus } from '@/server/services/setup/get-setup-status';

export const metadata: Metadata = { title: 'Set up' };

export default async function SetupPage({
  searchParams,
}: {
  searchParams: Promise<{ token?: string | string[] }>;
}) {
  // Setup is a one-time door: once the first admin exists it leads to sign-in instead.
  if (!(await getSetupStatus()).needsSetup) redirect('/sign-in');
  // The link printed in the start log carries the setup token; the form is prefilled with it.
  const { token } = await searchParams;
  return <SetupForm token={typeof token === 'string' ? token : ''} />;
}
