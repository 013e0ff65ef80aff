import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { SignOutForm } from '@/features/auth/sign-out-form';
import { getSessionViewer } from '@/server/auth/session';

export const metadata: Metadata = { title: 'Sign out' };

export default async function SignOutPage() {
  const viewer = await getSessionViewer(await headers());
  if (!viewer) redirect('/sign-in');
  return <SignOutForm email={viewer.email} />;
}
