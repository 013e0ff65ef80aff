import { beforeAll, describe, expect, it, vi } from 'vitest';
import { provisionTestDatabase } from '../../../test/database';

/**
 * Sign-in limits as an attacker meets them, through the console's real auth route handler. Each
 * request is played from a TCP peer (runWithPeerAddress, as server.mjs does per connection); one
 * reverse proxy is trusted, as PEREGRINE_TRUSTED_PROXIES would configure it.
 */
const databaseUrl = await provisionTestDatabase();
// Every attempt runs the real password hash (scrypt, on purpose slow, and run for unknown accounts
// too so timing reveals nothing); a test of a dozen attempts needs more than the default 20 s
// when the machine is shared or other test files run beside this one.
vi.setConfig({ testTimeout: 90_000 });
process.env.PEREGRINE_TRUSTED_PROXIES = '10.0.0.2';
const { getDb } = await import('@peregrine/db');
const { handleAuthRequest } = await import('./auth-handler');
const { runWithPeerAddress } = await import('../client-address');
const { SIGN_IN_LIMITS, recordSignInOutcome, checkSignInAttempt } = await import(
  '../services/auth/limit-sign-in'
);
const { createUser } = await import('../../../test/fixtures');

const ORIGIN = 'http://localhost:3000';

/**
 * A sign-in as it reaches the route handler from the TCP peer `peer`: Next itself sets
 * X-Forwarded-For to the peer when the client sent none, and keeps the client's otherwise.
 */
function signIn(peer: string, email: string, password: string, headers: Record<string, string> = {}) {
  return runWithPeerAddress(peer, () =>
    handleAuthRequest(
      new Request(`${ORIGIN}/api/auth/sign-in/email`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: ORIGIN,
          'x-forwarded-for': peer,
          ...headers,
        },
        body: JSON.stringify({ email, password }),
      }),
    ),
  );
}

let admin: Awaited<ReturnType<typeof createUser>>;
let victim: Awaited<ReturnType<typeof createUser>>;
beforeAll(async () => {
  admin = await createUser('Ada Admin');
  victim = await createUser('Vic Victim');
});

describe('the per-address limit', () => {
  it('holds against a client that rotates X-Forwarded-For', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const response = await signIn('203.0.113.50', `spray-${i}@example.test`, 'wrong password!!', {
        'x-forwarded-for': `198.51.100.${i + 1}`,
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });

  it('counts clients behind a trusted proxy separately, by the address the proxy saw', async () => {
    // Eight clients behind the proxy, each with a wrong password twice: nobody is refused.
    for (let i = 0; i < 8; i++) {
      for (let attempt = 0; attempt < 2; attempt++) {
        const response = await signIn('10.0.0.2', `behind-${i}@example.test`, 'wrong password!!', {
          'x-forwarded-for': `1.1.1.1, 192.0.2.${i + 1}`,
        });
        expect(response.status).toBe(401);
      }
    }
  });
});

describe('failed sign-ins on one account', () => {
  it('lock out the address that guesses, even when it then has the right password', async () => {
    for (let i = 0; i < SIGN_IN_LIMITS.pair.max; i++) {
      expect((await signIn('203.0.113.60', victim.email, `guess number ${i}!!`)).status).toBe(401);
    }
    const refused = await signIn('203.0.113.60', victim.email, victim.password);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The account's owner, elsewhere, is not affected.
    expect((await signIn('198.51.100.60', victim.email, victim.password)).status).toBe(200);
  });

  it("never lock the admin out: a botnet's failures cannot refuse the right password from a clean address", async () => {
    // Many addresses, each failing as often as it may, up to the account's limit (the old code
    // refused every sign-in to the account, the owner's included, after 10 of these).
    // The bots' guesses take the route's two limiter steps (the attempt is checked, its failure
    // recorded) without the password hash in between: fifty scrypt runs would prove nothing more
    // than the test above, which plays failures through the route, and take minutes on a busy box.
    const bots = Math.ceil(SIGN_IN_LIMITS.account.max / SIGN_IN_LIMITS.pair.max);
    for (let bot = 0; bot < bots; bot++) {
      for (let i = 0; i < SIGN_IN_LIMITS.pair.max; i++) {
        const address = `192.0.2.${100 + bot}`;
        expect(await checkSignInAttempt(admin.email.toUpperCase(), address)).toEqual({ allowed: true });
        await recordSignInOutcome(admin.email.toUpperCase(), address, 'failed');
      }
    }
    // The account is now under attack: a fresh bot gets one try, not five.
    expect((await signIn('192.0.2.250', admin.email, 'one more guess!!')).status).toBe(401);
    expect((await signIn('192.0.2.250', admin.email, 'another guess!!!')).status).toBe(429);
    // The admin, from an address that has not failed, signs in.
    const response = await signIn('198.51.100.77', admin.email, admin.password);
    expect(response.status).toBe(200);
  });

  it('also slow password spraying from one address across accounts', async () => {
    for (let i = 0; i < SIGN_IN_LIMITS.address.max; i++) {
      await recordSignInOutcome(`sprayed-${i}@example.test`, '203.0.113.70', 'failed');
    }
    expect(await checkSignInAttempt('another@example.test', '203.0.113.70')).toMatchObject({
      allowed: false,
    });
    expect(await checkSignInAttempt('another@example.test', '203.0.113.71')).toEqual({ allowed: true });
  });

  it('are kept without the email address in clear', async () => {
    const rows = await getDb(databaseUrl).prisma.rateLimit.findMany({ select: { key: true } });
    expect(rows.some((r) => r.key.includes(victim.email) || r.key.includes(admin.email))).toBe(false);
  });
});

describe('the audit log', () => {
  it('records sign-in, failed sign-in and sign-out with the real client address', async () => {
    const prisma = getDb(databaseUrl).prisma;
    const { createOrganization, addMember } = await import('../../../test/fixtures');
    const org = await createOrganization('Audited Org');
    const user = await createUser('Audrey Audited');
    await addMember(org.id, user.id, 'viewer');

    const wrong = 'Tr0ub4dor&3-not-it';
    const headers = { 'x-forwarded-for': '6.6.6.6', 'user-agent': 'curl/8.0' };
    expect((await signIn('203.0.113.80', user.email.toUpperCase(), wrong, headers)).status).toBe(401);
    const ok = await signIn('203.0.113.80', user.email, user.password, headers);
    expect(ok.status).toBe(200);
    const cookie = ok.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const signOut = await runWithPeerAddress('203.0.113.81', () =>
      handleAuthRequest(
        new Request(`${ORIGIN}/api/auth/sign-out`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            origin: ORIGIN,
            cookie,
            'x-forwarded-for': '6.6.6.6',
          },
          body: '{}',
        }),
      ),
    );
    expect(signOut.status).toBe(200);

    const entries = await prisma.auditLog.findMany({
      where: { organizationId: org.id, action: { startsWith: 'auth.' } },
      orderBy: { id: 'asc' },
    });
    expect(entries.map((e) => [e.action, e.ip, e.actorUserId, e.targetId])).toEqual([
      ['auth.sign_in_failed', '203.0.113.80', null, user.id],
      ['auth.sign_in', '203.0.113.80', user.id, user.id],
      ['auth.sign_out', '203.0.113.81', user.id, user.id],
    ]);
    const failed = entries[0];
    expect(failed?.after).toMatchObject({ email: user.email, reason: 'INVALID_EMAIL_OR_PASSWORD' });
    expect(failed?.userAgent).toBe('curl/8.0');
    // The attempted password is nowhere in the log.
    const all = JSON.stringify(await prisma.auditLog.findMany({ omit: { id: true } }));
    expect(all).not.toContain(wrong);
    expect(all).not.toContain('6.6.6.6');
  });

  it('keeps an attempt on an unknown email out of every organisation, normalised', async () => {
    expect((await signIn('203.0.113.90', 'Nobody@Example.TEST', 'whatever password')).status).toBe(401);
    const entry = await getDb(databaseUrl).prisma.auditLog.findFirstOrThrow({
      where: { action: 'auth.sign_in_failed', ip: '203.0.113.90' },
    });
    expect(entry.organizationId).toBeNull();
    expect(entry.after).toMatchObject({ email: 'nobody@example.test', knownAccount: false });
  });
});
