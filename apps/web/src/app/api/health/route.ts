import { checkHealth } from '@/server/services/health/check-health';

export const dynamic = 'force-dynamic';

/** `{ ok, db }` for the start script and load balancers; 503 while Postgres is unreachable. */
export async function GET(): Promise<Response> {
  const health = await checkHealth();
  return Response.json(health, { status: health.ok ? 200 : 503, headers: { 'Cache-Control': 'no-store' } });
}
