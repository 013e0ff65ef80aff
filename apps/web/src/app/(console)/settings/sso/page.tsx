import type { Metadata } from 'next';
import { SettingsTabs } from '@/features/members/settings-tabs';
import { PageHeader } from '@/features/shell/page-header';
import { SsoSettingsPanel } from '@/features/sso/sso-settings-panel';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Single sign-on' };

export default async function SsoSettingsPage() {
  const context = await requireConsole();
  return (
    <>
      <PageHeader title="Settings" description={`${context.organization.name}: members, roles and access.`} />
      <SettingsTabs current="/settings/sso" />
      {context.role === 'admin' ? (
        <SsoSettingsPanel initial={await (await getServerCaller()).sso.get()} />
      ) : (
        <section className="panel">
          <div className="panel-body">Only admins manage single sign-on.</div>
        </section>
      )}
    </>
  );
}
