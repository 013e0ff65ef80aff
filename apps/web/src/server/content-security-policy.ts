/**
 * The console's Content-Security-Policy for one page view. Scripts run only with this response's
 * nonce (Next puts it on its own scripts, read from the request's CSP header that proxy.ts sets)
 * or when loaded by such a script ('strict-dynamic': Next's chunks, Monaco's modules), so markup
 * an attacker gets into a page cannot run script, inline or from elsewhere. Styles allow inline:
 * React renders style attributes and Monaco writes <style> elements; CSS cannot run script.
 */
export function contentSecurityPolicy(input: {
  nonce: string;
  /** Where browsers open the live alert stream (socket.io, polling then WebSocket). */
  collectorUrl: string | null;
  /** `next dev` needs eval for its error overlay and fast refresh; production never does. */
  development: boolean;
}): string {
  const connect = ["'self'"];
  if (input.collectorUrl) {
    const collector = new URL(input.collectorUrl);
    const socket = new URL(collector);
    socket.protocol = collector.protocol === 'https:' ? 'wss:' : 'ws:';
    connect.push(collector.origin, `${socket.protocol}//${socket.host}`);
  }
  const script = [
    `'nonce-${input.nonce}'`,
    "'strict-dynamic'",
    ...(input.development ? ["'unsafe-eval'"] : []),
  ];
  return [
    "default-src 'self'",
    `script-src ${script.join(' ')}`,
    // The rules editor's workers (Monaco's and the rules analysis) are bundled same-origin files.
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** What is left of the policy for responses that are not pages (API JSON, static files). */
export const NON_PAGE_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
