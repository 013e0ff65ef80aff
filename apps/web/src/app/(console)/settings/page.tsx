import type { Metadata } from 'next';
import { serverEnv } from '@/env';
import { InvitationsPanel } from '@/features/members/invitations-panel';
import { MembersPanel } from '@/features/members/members-panel';
import { SettingsTabs } from '@/features/members/settings-tabs';
import { DeleteOrganizationPanel } from '@/features/organizations/delete-organization';
import { LeaveOrganizationButton } from '@/features/organizations/organization-switcher';
import { QuotasPanel } from '@/features/organizations/quotas-panel';
import { RetentionPanel } from '@/features/retention/retention-panel';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Settings' };

export default async function SettingsPage() {
  const context = await requireConsole();
  const caller = await getServerCaller();
  const isAdmin = context.role === 'admin';
  const [members, invitations, quotas, retention, environments] = await Promise.all([
    caller.organization.listMembers(),
    isAdmin ? caller.members.listInvitations() : Promise.resolve(null),
    caller.organization.getQuotas(),
    caller.retention.get(),
    caller.environment.list(),
  ]);
  return (
    <>
      <PageHeader title="Settings" description={`${context.organization.name}: members, roles and access.`} />
      <SettingsTabs current="/settings" />
      <div style={{ display: 'grid', gap: 16, gridTemplateColumns: 'minmax(0, 1fr)', minWidth: 0 }}>
        <section className="panel">
          <div className="panel-header">
            <h2>Organisation</h2>
          </div>
          <div className="stat-grid">
            <div className="stat">
              <span className="stat-label">Name</span>
              <span>{context.organization.name}</span>
            </div>
            <div className="stat">
              <span className="stat-label">Slug</span>
              <code>{context.organization.slug}</code>
            </div>
            <div className="stat">
              <span className="stat-label">Link into this organisation</span>
              <code data-testid="organization-link">{`${serverEnv().baseUrl}/?org=${context.organization.slug}`}</code>
            </div>
            <div className="stat">
              <span className="stat-label">Your role</span>
              <span>
                <span className="badge badge-accent">{context.role}</span>
              </span>
            </div>
          </div>
          <LeaveOrganizationButton organizationId={context.organization.id} />
        </section>
        <QuotasPanel quotas={quotas} />
        <RetentionPanel retention={retention} environments={environments} canManage={isAdmin} />
        <MembersPanel
          initialMembers={members}
          canManage={isAdmin}
          viewerId={context.viewer.id}
          environments={context.environments}
        />
        {invitations ? <InvitationsPanel initialInvitations={invitations} /> : null}
        {isAdmin ? <DeleteOrganizationPanel organization={context.organization} /> : null}
      </div>
    </>
  );
}
