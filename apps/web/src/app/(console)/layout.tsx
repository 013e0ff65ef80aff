import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { serverEnv } from '@/env';
import { AppShell } from '@/features/shell/app-shell';
import { NoOrganization } from '@/features/shell/no-organization';
import { THEME_COOKIE } from '@/lib/preferences';
import { getConsoleContext } from '@/server/console-context';
import { signInRedirectTarget } from '@/server/require-console';
import { getSetupStatus } from '@/server/services/setup/get-setup-status';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  if ((await getSetupStatus()).needsSetup) redirect('/setup');
  const context = await getConsoleContext();
  if (context.status === 'denied') {
    if (context.code === 'UNAUTHENTICATED') redirect(await signInRedirectTarget());
    return (
      <NoOrganization
        canResetChoice={context.hasOrganizationChoice}
        canCreate={serverEnv().orgCreation === 'anyone'}
      />
    );
  }
  return (
    <AppShell
      organization={context.organization}
      organizations={context.organizations}
      role={context.role}
      user={context.viewer}
      environments={context.environments}
      currentEnvironment={context.environment?.name ?? null}
      theme={(await cookies()).get(THEME_COOKIE)?.value ?? 'system'}
    >
      {children}
    </AppShell>
  );
}
