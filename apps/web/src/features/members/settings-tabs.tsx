import Link from 'next/link';
import styles from '@/features/admin/admin.module.css';

const TABS = [
  { href: '/settings', label: 'Members' },
  { href: '/settings/api-keys', label: 'API keys' },
  { href: '/settings/notifications', label: 'Notifications' },
  { href: '/settings/sso', label: 'Single sign-on' },
] as const;

/** The settings sub-pages. */
export function SettingsTabs({ current }: { current: (typeof TABS)[number]['href'] }) {
  return (
    <nav className={styles.tabs} aria-label="Settings">
      {TABS.map((tab) => (
        <Link
          key={tab.href}
          href={tab.href}
          className={`${styles.tab} ${tab.href === current ? styles.tabActive : ''}`}
          aria-current={tab.href === current ? 'page' : undefined}
        >
          {tab.label}
        </Link>
      ))}
    </nav>
  );
}
