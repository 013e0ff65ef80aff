import Link from 'next/link';
import type { ReactNode } from 'react';
import { OrganizationSwitcher } from '@/features/organizations/organization-switcher';
import { EnvironmentSwitcher, type SwitcherEnvironment } from './environment-switcher';
import { BrandMark } from './icons';
import { SideNav } from './side-nav';
import { type MenuOrganization, UserMenu } from './user-menu';

/** The authenticated console frame: navigation on the left, environment and user on top. */
export function AppShell({
  organization,
  organizations,
  role,
  user,
  environments,
  currentEnvironment,
  theme,
  children,
}: {
  organization: { id: string; name: string };
  organizations: MenuOrganization[];
  role: string;
  user: { name: string; email: string };
  environments: SwitcherEnvironment[];
  currentEnvironment: string | null;
  theme: string;
  children: ReactNode;
}) {
  return (
    <div className="shell">
      <aside className="sidebar">
        <Link href="/" className="brand" aria-label="Peregrine dashboard">
          <BrandMark className="brand-mark" />
          Peregrine
        </Link>
        <OrganizationSwitcher current={organization} role={role} organizations={organizations} />
        <SideNav />
        <div className="sidebar-footer">Falco-compatible runtime detection</div>
      </aside>
      <div className="main">
        <header className="topbar">
          <EnvironmentSwitcher environments={environments} current={currentEnvironment} />
          <div className="topbar-spacer" />
          <UserMenu
            name={user.name}
            email={user.email}
            role={role}
            theme={theme}
            organizations={organizations}
            currentOrganizationId={organization.id}
          />
        </header>
        <main className="content">{children}</main>
      </div>
    </div>
  );
}
