/**
 * The console's sub-path behind a gateway (`/peregrine`), '' at the root. Next's basePath is fixed
 * when the console is built: next.config.ts reads PEREGRINE_BASE_PATH then, builds into a folder
 * of its own per sub-path (`.next-peregrine`), and inlines the value here for the code that
 * builds URLs by hand (fetch, `window.location`, plain anchors, redirects outside Next's router).
 */
export const BASE_PATH: string = process.env.PEREGRINE_BUILT_BASE_PATH ?? '';

const SEGMENT = /^[A-Za-z0-9._~-]+$/;

/**
 * PEREGRINE_BASE_PATH as Next wants it: '' (unset, empty or `/`), or `/a` or `/a/b` without a
 * trailing slash; throws a readable error for anything else.
 */
export function parseBasePath(value: string | undefined): string {
  const trimmed = (value ?? '').trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  const segments = trimmed.split('/');
  if (segments[0] !== '' || !segments.slice(1).every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) {
    throw new Error(
      `PEREGRINE_BASE_PATH must be a path such as /peregrine (letters, digits, . _ ~ -), not "${value}"`,
    );
  }
  return trimmed;
}

/** The folder a build for `basePath` lives in, so builds for different sub-paths do not collide. */
export function distDirFor(basePath: string): string {
  return basePath ? `.next${basePath.replaceAll('/', '-')}` : '.next';
}

/**
 * An in-console path (`/sign-in`) as the browser must request it (`/peregrine/sign-in`); the
 * console's root is the sub-path itself (`/peregrine`, as Next serves it, not `/peregrine/`).
 */
export function withBasePath(path: string): string {
  if (BASE_PATH && (path === '/' || path.startsWith('/?') || path.startsWith('/#'))) {
    return `${BASE_PATH}${path.slice(1)}`;
  }
  return `${BASE_PATH}${path}`;
}
