import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { AcceptInvitation } from '@/features/members/accept-invitation';
import { BrandMark } from '@/features/shell/icons';
import { getSessionViewer } from '@/server/auth/session';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Invitation' };

export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const caller = await getServerCaller();
  const invitation = await caller.members.getInvitation({ token }).catch(() => null);
  if (!invitation) {
    return (
      <div className="auth-card" data-testid="invitation-invalid">
        <div className="auth-header">
          <span className="brand">
            <BrandMark className="brand-mark" />
            Peregrine
          </span>
          <h1>Invitation not found</h1>
          <p>This link is not valid. Ask an admin of your organisation for a new invitation.</p>
        </div>
      </div>
    );
  }
  const viewer = await getSessionViewer(await headers());
  return (
    <AcceptInvitation
      token={token}
      invitation={invitation}
      signedInAs={viewer ? { name: viewer.name, email: viewer.email } : null}
    />
  );
}
