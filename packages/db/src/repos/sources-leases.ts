import pg from 'pg';

/**
 * Which collector polls which cloud source, when several run against one database.
 *
 * A lease is a Postgres session-level advisory lock on the source id, held on one dedicated
 * connection. Postgres frees it when that connection ends, so a crashed or partitioned
 * collector loses its leases by itself and another one takes the sources over on its next
 * attempt. Keys are a 64-bit hash of the id in their own namespace (`peregrine-source:`).
 */
export class SourceLeases {
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private readonly held = new Set<string>();

  constructor(private readonly url: string) {}

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({
        connectionString: this.url,
        application_name: 'peregrine-source-leases',
      });
      client.on('error', () => this.lost(client));
      client.on('end', () => this.lost(client));
      try {
        await client.connect();
      } catch (err) {
        this.connecting = null;
        throw err;
      }
      this.client = client;
      this.connecting = null;
      return client;
    })();
    return this.connecting;
  }

  /** The connection went away: so did every lock taken on it. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.held.clear();
  }

  /** Takes the source's lease if nobody holds it; true when this instance holds it now. */
  async tryAcquire(sourceId: string): Promise<boolean> {
    if (this.held.has(sourceId)) return true;
    const client = await this.connection();
    const r = await client.query<{ ok: boolean }>(
      `SELECT pg_try_advisory_lock(hashtextextended('peregrine-source:' || $1, 0)) AS ok`,
      [sourceId],
    );
    const ok = r.rows[0]?.ok === true;
    if (ok) this.held.add(sourceId);
    return ok;
  }

  /** Whether this instance still holds the lease (false after its connection was lost). */
  holds(sourceId: string): boolean {
    return this.held.has(sourceId);
  }

  async release(sourceId: string): Promise<void> {
    if (!this.held.delete(sourceId) || !this.client) return;
    await this.client
      .query(`SELECT pg_advisory_unlock(hashtextextended('peregrine-source:' || $1, 0))`, [sourceId])
      .catch(() => {
        // The connection is going away; Postgres frees the lock with it.
      });
  }

  /** Releases every lease (by closing the connection). */
  async close(): Promise<void> {
    const client = this.client ?? (await this.connecting?.catch(() => null)) ?? null;
    this.client = null;
    this.held.clear();
    await client?.end().catch(() => {});
  }
}
