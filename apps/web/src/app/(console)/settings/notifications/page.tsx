import type { Metadata } from 'next';
import { SettingsTabs } from '@/features/members/settings-tabs';
import { NotificationsPanel } from '@/features/notifications/notifications-panel';
import { PageHeader } from '@/features/shell/page-header';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'Notifications' };

export default async function NotificationsPage() {
  const context = await requireConsole();
  if (context.role !== 'admin') {
    return (
      <>
        <PageHeader
          title="Settings"
          description={`${context.organization.name}: members, roles and access.`}
        />
        <SettingsTabs current="/settings/notifications" />
        <section className="panel">
          <div className="panel-body">Only admins manage notifications.</div>
        </section>
      </>
    );
  }
  const caller = await getServerCaller();
  const [channels, routes, deliveries, environments] = await Promise.all([
    caller.notifications.listChannels(),
    caller.notifications.listRoutes(),
    caller.notifications.listDeliveries({ limit: 50 }),
    caller.environment.list(),
  ]);
  return (
    <>
      <PageHeader
        title="Settings"
        description={`${context.organization.name}: where alerts are sent, and whether they arrived.`}
      />
      <SettingsTabs current="/settings/notifications" />
      <NotificationsPanel
        initialChannels={channels}
        initialRoutes={routes}
        initialDeliveries={deliveries}
        environments={environments}
      />
    </>
  );
}
