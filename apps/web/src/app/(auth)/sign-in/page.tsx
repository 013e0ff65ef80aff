import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/features/auth/sign-in-form';
import { safeNextPath } from '@/lib/safe-next-path';
import { ssoErrorMessage } from '@/lib/sso-errors';
import { getSessionViewer } from '@/server/auth/session';
import { getSetupStatus } from '@/server/services/setup/get-setup-status';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ signedOut?: string; next?: string; sso_error?: string }>;
}) {
  const { signedOut, next, sso_error: ssoError } = await searchParams;
  const destination = safeNextPath(next);
  if ((await getSetupStatus()).needsSetup) redirect('/setup');
  if (await getSessionViewer(await headers())) redirect(destination);
  return <SignInForm signedOut={signedOut === '1'} next={destination} ssoError={ssoErrorMessage(ssoError)} />;
}
