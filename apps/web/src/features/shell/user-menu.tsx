'use client';

import { useEffect, useId, useRef, useState } from 'react';
import { authClient } from '@/lib/auth-client';
import { ChevronDownIcon } from './icons';
import {
  ORGANIZATION_COOKIE,
  parseTheme,
  setPreferenceCookie,
  THEME_COOKIE,
  THEMES,
  type Theme,
} from '@/lib/preferences';
import { withBasePath } from '@/lib/base-path';

const THEME_LABELS: Record<Theme, string> = { system: 'System theme', light: 'Light', dark: 'Dark' };

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters =
    parts.length > 1 ? `${parts[0]?.[0] ?? ''}${parts.at(-1)?.[0] ?? ''}` : (parts[0] ?? '?').slice(0, 2);
  return letters.toUpperCase();
}

export interface MenuOrganization {
  id: string;
  name: string;
  role: string;
}

/** The signed-in user's menu: identity, role, organisation, theme and sign-out. */
export function UserMenu({
  name,
  email,
  role,
  theme,
  organizations,
  currentOrganizationId,
}: {
  name: string;
  email: string;
  role: string;
  theme: string;
  organizations: MenuOrganization[];
  currentOrganizationId: string;
}) {
  const [open, setOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const [currentTheme, setCurrentTheme] = useState<Theme>(parseTheme(theme));
  const rootRef = useRef<HTMLDivElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('pointerdown', onPointer);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const chooseTheme = (next: Theme) => {
    setCurrentTheme(next);
    setPreferenceCookie(THEME_COOKIE, next);
    if (next === 'system') document.documentElement.removeAttribute('data-theme');
    else document.documentElement.setAttribute('data-theme', next);
  };

  const signOut = async () => {
    setSigningOut(true);
    await authClient.signOut();
    window.location.assign(withBasePath('/sign-in?signedOut=1'));
  };

  return (
    <div className="user-menu" ref={rootRef}>
      <button
        type="button"
        className="user-menu-trigger"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={menuId}
        data-testid="user-menu"
        onClick={() => setOpen((v) => !v)}
      >
        <span className="avatar" aria-hidden="true">
          {initials(name)}
        </span>
        <span>{name}</span>
        <ChevronDownIcon width={14} height={14} />
      </button>
      {open ? (
        <div className="menu" role="menu" id={menuId}>
          <div className="menu-header">
            <span className="menu-header-name">{name}</span>
            <span className="menu-header-email">{email}</span>
            <span>
              <span className="badge badge-accent">{role}</span>
            </span>
          </div>
          {organizations.length > 1 ? (
            <>
              <div className="menu-label">Organisation</div>
              {organizations.map((org) => (
                <button
                  key={org.id}
                  type="button"
                  role="menuitemradio"
                  aria-checked={org.id === currentOrganizationId}
                  className="menu-item"
                  onClick={() => {
                    setPreferenceCookie(ORGANIZATION_COOKIE, org.id);
                    // Everything on screen belongs to the old organisation: start from the dashboard.
                    window.location.assign(withBasePath('/'));
                  }}
                >
                  {org.name}
                  <span className="menu-item-hint">{org.role}</span>
                </button>
              ))}
              <div className="menu-separator" />
            </>
          ) : null}
          <div className="menu-label">Theme</div>
          {THEMES.map((option) => (
            <button
              key={option}
              type="button"
              role="menuitemradio"
              aria-checked={currentTheme === option}
              className="menu-item"
              onClick={() => chooseTheme(option)}
            >
              {THEME_LABELS[option]}
            </button>
          ))}
          <div className="menu-separator" />
          <button
            type="button"
            role="menuitem"
            className="menu-item"
            disabled={signingOut}
            onClick={signOut}
            data-testid="sign-out"
          >
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      ) : null}
    </div>
  );
}
