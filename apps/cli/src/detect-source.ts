/**
 * Which source a recorded event belongs to, for replaying mixed streams: an explicit `source`
 * key naming a known source wins; otherwise the shape of well-known payloads decides; otherwise
 * the default. `peregrine replay` decides lines it does not parse from the same keys
 * (`commands/replay/line-probe.ts`, PROBED_KEYS): a key read here must be probed there too.
 */
export function detectSource(event: unknown, known: ReadonlySet<string>, fallback: string): string {
  if (typeof event !== 'object' || event === null) return fallback;
  const e = event as Record<string, unknown>;
  if (typeof e.source === 'string' && known.has(e.source)) return e.source;
  // Collector envelopes ({ts, payload}) carry the record in `payload`.
  const r = (typeof e.payload === 'object' && e.payload !== null ? e.payload : e) as Record<string, unknown>;
  if (typeof r.apiVersion === 'string' && r.apiVersion.startsWith('audit.k8s.io/')) return 'k8s_audit';
  if (typeof r.eventSource === 'string' && typeof r.eventVersion === 'string') return 'aws_cloudtrail';
  if (typeof r.webhook_type === 'string') return 'github';
  if (typeof r.eventType === 'string' && typeof r.published === 'string') return 'okta';
  if (typeof r.protoPayload === 'object' && r.protoPayload !== null) return 'gcp_auditlog';
  return fallback;
}
