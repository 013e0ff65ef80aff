/** Request header carrying the page's path and query, set by src/proxy.ts for server components. */
export const REQUEST_PATH_HEADER = 'x-peregrine-path';

// Pages that make no sense as a destination after signing in.
const AUTH_PAGES = ['/sign-in', '/sign-out', '/setup'];

/**
 * The in-console path to go to after sign-in, or '/'. Only same-origin absolute paths pass:
 * `//evil.example`, `/\evil.example` and full URLs would turn sign-in into an open redirect.
 */
export function safeNextPath(value: string | null | undefined): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f]/.test(value)) return '/';
  const parsed = new URL(value, 'http://console.invalid');
  if (parsed.origin !== 'http://console.invalid') return '/';
  if (AUTH_PAGES.some((page) => parsed.pathname === page || parsed.pathname.startsWith(`${page}/`)))
    return '/';
  return `${parsed.pathname}${parsed.search}`;
}

/** The sign-in URL that returns to `path` afterwards. */
export function signInUrl(path: string | null | undefined): string {
  const next = safeNextPath(path);
  return next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
}
