'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ComponentType, SVGProps } from 'react';
import {
  AlertIcon,
  AttackIcon,
  AuditIcon,
  DashboardIcon,
  EnvironmentIcon,
  IncidentIcon,
  ListIcon,
  RulesIcon,
  SensorIcon,
  SettingsIcon,
} from './icons';
import { isActiveSection, NAV_ITEMS, type NavIcon } from './nav-items';

const ICONS: Record<NavIcon, ComponentType<SVGProps<SVGSVGElement>>> = {
  dashboard: DashboardIcon,
  alerts: AlertIcon,
  incidents: IncidentIcon,
  attack: AttackIcon,
  rules: RulesIcon,
  lists: ListIcon,
  environments: EnvironmentIcon,
  sensors: SensorIcon,
  audit: AuditIcon,
  settings: SettingsIcon,
};

/** The left navigation; highlights the current section. */
export function SideNav() {
  const pathname = usePathname();
  return (
    <nav className="nav" aria-label="Main">
      {NAV_ITEMS.map((item) => {
        const IconComponent = ICONS[item.icon];
        const active = isActiveSection(pathname, item.href);
        return (
          <Link
            key={item.href}
            href={item.href}
            className="nav-link"
            aria-current={active ? 'page' : undefined}
          >
            <IconComponent />
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
