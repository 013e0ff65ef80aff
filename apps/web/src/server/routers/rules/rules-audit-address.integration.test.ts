import { describe, expect, it } from 'vitest';
import { provisionTestDatabase } from '../../../../test/database';

/**
 * Rule changes are audited with the client's real address. The attack: a client writes
 * X-Forwarded-For itself to put someone else's address (or its own choice) in the audit log.
 */
const databaseUrl = await provisionTestDatabase();
const { createApiKey, getDb } = await import('@peregrine/db');
const { handleTRPCRequest } = await import('../../trpc-handler');
const { runWithPeerAddress } = await import('../../client-address');
const { createOrganization } = await import('../../../../test/fixtures');

const ORIGIN = 'http://localhost:3000';

describe('rule-change audit entries', () => {
  it('carry the address the request came from, not the X-Forwarded-For the client wrote', async () => {
    const org = await createOrganization('Rules Org');
    const { key } = await createApiKey(
      getDb(databaseUrl),
      { organizationId: org.id, name: 'CI author', role: 'author', createdById: null },
      {},
    );
    const response = await runWithPeerAddress('203.0.113.44', () =>
      handleTRPCRequest(
        new Request(`${ORIGIN}/api/trpc/rules.createRuleSet`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            'x-forwarded-for': '10.1.2.3',
            'user-agent': 'ci/1.0',
          },
          body: JSON.stringify({
            name: 'Spoofed',
            files: [{ name: 'rules.yaml', content: '- list: a\n  items: [b]\n' }],
          }),
        }),
      ),
    );
    expect(response.status).toBe(200);
    const entries = await getDb(databaseUrl).prisma.auditLog.findMany({
      where: { organizationId: org.id, action: { startsWith: 'ruleset.' } },
      select: { ip: true, userAgent: true },
    });
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.ip === '203.0.113.44' && e.userAgent === 'ci/1.0')).toBe(true);
  });
});
