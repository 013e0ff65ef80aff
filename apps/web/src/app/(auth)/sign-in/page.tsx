import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/features/auth/sign-in-form';
import { safeNextPath } from '@/lib/safe-next-path';
import { getSessionViewer } from '@/server/auth/session';
import { getSetupStatus } from '@/server/services/setup/get-setup-status';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ signedOut?: string; next?: string }>;
}) {
  const { signedOut, next } = await searchParams;
  const destination = safeNextPath(next);
  if ((await getSetupStatus()).needsSetup) redirect('/setup');
  if (await getSessionViewer(await headers())) redirect(destination);
  return <SignInForm signedOut={signedOut === '1'} next={destination} />;
}
