import type { Metadata } from 'next';
import { ApiKeysPanel } from '@/features/api-keys/api-keys-panel';
import { SettingsTabs } from '@/features/members/settings-tabs';
import { PageHeader } from '@/features/shell/page-header';
import { serverEnv } from '@/env';
import { requireConsole } from '@/server/require-console';
import { getServerCaller } from '@/trpc/server';

export const metadata: Metadata = { title: 'API keys' };

export default async function ApiKeysPage() {
  const context = await requireConsole();
  return (
    <>
      <PageHeader title="Settings" description={`${context.organization.name}: members, roles and access.`} />
      <SettingsTabs current="/settings/api-keys" />
      {context.role === 'admin' ? (
        <ApiKeysPanel
          initialKeys={await (await getServerCaller()).apiKeys.list()}
          origin={serverEnv().baseUrl}
        />
      ) : (
        <section className="panel">
          <div className="panel-body">Only admins manage API keys.</div>
        </section>
      )}
    </>
  );
}
