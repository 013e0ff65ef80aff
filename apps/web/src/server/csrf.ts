/**
 * Cross-site request forgery guard for state-changing requests. Browsers always send `Origin`
 * on cross-origin POSTs and `Sec-Fetch-Site` on every request, so a request is accepted only
 * when one of them proves it came from the console's own pages (or a non-browser client that
 * sends neither, which carries no ambient cookies worth forging).
 */
export function isCrossSiteRequest(request: Request, trustedOrigins: readonly string[]): boolean {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  const origin = request.headers.get('origin');
  if (origin !== null) {
    const own = new URL(request.url).origin;
    return !(origin === own || trustedOrigins.includes(origin));
  }
  const site = request.headers.get('sec-fetch-site');
  return site !== null && site !== 'same-origin' && site !== 'none';
}

/** tRPC mutations are JSON; a form post (the classic CSRF vehicle) is refused outright. */
export function hasJsonBody(request: Request): boolean {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return true;
  const type = request.headers.get('content-type') ?? '';
  return type.split(';')[0]?.trim().toLowerCase() === 'application/json';
}
