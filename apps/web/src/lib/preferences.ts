/** Cookies the console reads server-side so the first paint already has the right state. */
/** The organisation the console acts in, for users in more than one; membership is re-checked. */
export const ORGANIZATION_COOKIE = 'peregrine.org';
export const ENVIRONMENT_COOKIE = 'peregrine.env';
export const THEME_COOKIE = 'peregrine.theme';

export const THEMES = ['system', 'light', 'dark'] as const;
export type Theme = (typeof THEMES)[number];

export function parseTheme(value: string | undefined): Theme {
  return THEMES.find((t) => t === value) ?? 'system';
}

/** Writes a long-lived, same-site preference cookie from the browser. */
export function setPreferenceCookie(name: string, value: string | null): void {
  const maxAge = value === null ? 0 : 60 * 60 * 24 * 365;
  // biome-ignore lint/suspicious/noDocumentCookie: a plain preference cookie; the Cookie Store API is not in every browser.
  document.cookie = `${name}=${encodeURIComponent(value ?? '')}; Path=/; Max-Age=${maxAge}; SameSite=Lax`;
}
