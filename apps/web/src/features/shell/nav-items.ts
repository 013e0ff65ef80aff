/** The console's sections, in navigation order. */
export const NAV_ITEMS = [
  { href: '/', label: 'Dashboard', icon: 'dashboard' },
  { href: '/alerts', label: 'Alerts', icon: 'alerts' },
  { href: '/incidents', label: 'Incidents', icon: 'incidents' },
  { href: '/attack', label: 'ATT&CK', icon: 'attack' },
  { href: '/rules', label: 'Rules', icon: 'rules' },
  { href: '/lists', label: 'Lists & macros', icon: 'lists' },
  { href: '/environments', label: 'Environments', icon: 'environments' },
  { href: '/sensors', label: 'Sensors & sources', icon: 'sensors' },
  { href: '/audit', label: 'Audit log', icon: 'audit' },
  { href: '/settings', label: 'Settings', icon: 'settings' },
] as const;

export type NavIcon = (typeof NAV_ITEMS)[number]['icon'];

/** Whether `pathname` is inside the section at `href` (the dashboard only matches exactly). */
export function isActiveSection(pathname: string, href: string): boolean {
  if (href === '/') return pathname === '/';
  return pathname === href || pathname.startsWith(`${href}/`);
}
