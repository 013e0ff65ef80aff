'use client';

import { useRouter } from 'next/navigation';
import { useTransition } from 'react';
import { ENVIRONMENT_COOKIE, setPreferenceCookie } from '@/lib/preferences';

export interface SwitcherEnvironment {
  name: string;
  displayName: string;
}

/** Chooses the environment every page shows; remembered in a cookie, applied by a refresh. */
export function EnvironmentSwitcher({
  environments,
  current,
}: {
  environments: SwitcherEnvironment[];
  current: string | null;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  return (
    <label className="env-switcher">
      <span className="env-dot" data-env={current ?? 'all'} aria-hidden="true" />
      <span className="visually-hidden">Environment</span>
      <select
        className="select"
        value={current ?? ''}
        disabled={pending}
        data-testid="environment-switcher"
        onChange={(event) => {
          setPreferenceCookie(ENVIRONMENT_COOKIE, event.target.value || null);
          startTransition(() => router.refresh());
        }}
      >
        <option value="">All environments</option>
        {environments.map((env) => (
          <option key={env.name} value={env.name}>
            {env.displayName}
          </option>
        ))}
      </select>
    </label>
  );
}
