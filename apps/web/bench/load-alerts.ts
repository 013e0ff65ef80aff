import { createHash } from 'node:crypto';
import { once } from 'node:events';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Rules with their Falco priority and source; earlier rules fire far more often (Zipf-like). */
const RULES: [string, string, string][] = [
  ['Terminal shell in container', 'notice', 'syscall'],
  ['Read sensitive file untrusted', 'warning', 'syscall'],
  ['Contact K8S API Server From Container', 'notice', 'syscall'],
  ['Launch Privileged Container', 'informational', 'syscall'],
  ['Write below etc', 'error', 'syscall'],
  ['Attach/Exec Pod', 'notice', 'k8s_audit'],
  ['Outbound connection to C2 server', 'critical', 'syscall'],
  ['Drop and execute new binary in container', 'critical', 'syscall'],
  ['Create files below dev', 'error', 'syscall'],
  ['K8s Secret Get', 'warning', 'k8s_audit'],
  ['Console login without MFA', 'warning', 'aws_cloudtrail'],
  ['Okta user suspicious activity', 'error', 'okta'],
  ['Packet socket created in container', 'notice', 'syscall'],
  ['Clear log activities', 'warning', 'syscall'],
  ['Modify binary dirs', 'error', 'syscall'],
  ['Netcat remote code execution in container', 'warning', 'syscall'],
  ['Search private keys or passwords', 'warning', 'syscall'],
  ['Run shell untrusted', 'debug', 'syscall'],
  ['Fileless execution via memfd_create', 'critical', 'syscall'],
  ['Detect crypto miners using the Stratum protocol', 'critical', 'syscall'],
  ['PTRACE attached to process', 'warning', 'syscall'],
  ['Create Privileged Pod', 'warning', 'k8s_audit'],
  ['Delete bucket public access block', 'error', 'aws_cloudtrail'],
  ['Linux kernel module injection', 'emergency', 'syscall'],
  ['Execution from /dev/shm', 'warning', 'syscall'],
  ['Disallowed SSH connection', 'notice', 'syscall'],
  ['Change thread namespace', 'notice', 'syscall'],
  ['Launch Suspicious Network Tool in Container', 'notice', 'syscall'],
  ['Sudo potential privilege escalation', 'critical', 'syscall'],
  ['Redirect STDOUT/STDIN to network connection', 'alert', 'syscall'],
];

/**
 * The ATT&CK technique each rule above tags (by position), as Falco's rules tag theirs: the
 * matrix's alert counts group the alerts' tag arrays.
 */
const RULE_TECHNIQUES = [
  'T1059',
  'T1003.008',
  'T1613',
  'T1610',
  'T1543',
  'T1609',
  'T1071',
  'T1105',
  'T1543',
  'T1552.007',
  'T1078',
  'T1078.004',
  'T1040',
  'T1070.002',
  'T1543',
  'T1059.004',
  'T1552.001',
  'T1059',
  'T1620',
  'T1496',
  'T1055.008',
  'T1610',
  'T1562.008',
  'T1547.006',
  'T1620',
  'T1021.004',
  'T1611',
  'T1046',
  'T1548.003',
  'T1059.004',
];

const PROCS = [
  'bash',
  'sh',
  'cat',
  'curl',
  'nc',
  'python3',
  'kubectl',
  'vim',
  'xmrig',
  'wget',
  'node',
  'java',
];

export const BENCH_DATABASE = 'peregrine_bench_alerts';

const DAY_MS = 86_400_000;
const USERS = ['root', 'www-data', 'app', 'deploy', 'nobody'];

/** COPY's text format: backslash, tab, newline and carriage return escaped; null as \N. */
function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/**
 * A small deterministic generator (mulberry32) whose state `reseed(n)` sets: the same seed gives
 * the same draws, so alerts drawn from one content seed get one content.
 */
function seededRandom(seed: number): { reseed(n: number): () => number } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    reseed(n: number) {
      // Spread consecutive seeds apart (a multiplicative hash) before the first draw.
      state = Math.imul(n + 1, 0x9e3779b1) >>> 0;
      return next;
    },
  };
}

/** Monday 00:00 UTC of the week holding `ms` (the alert partitions' weeks). */
function weekStart(ms: number): number {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day);
}

function partitionName(week: number): string {
  return `alerts_p${new Date(week).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** Index definitions of a table other than its primary key, to drop before a bulk load and rebuild after. */
async function secondaryIndexes(client: pg.Client, table: string): Promise<{ name: string; def: string }[]> {
  const r = await client.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(x.indexrelid) AS def
     FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
     WHERE x.indrelid = $1::regclass AND NOT x.indisprimary`,
    [table],
  );
  return r.rows;
}

/**
 * Loads `total` alerts over the last 30 days into a freshly migrated database with COPY, the way
 * a bulk load into partitioned storage goes fastest: each week's partition is detached and
 * replaced by a bare table (no indexes, no triggers), the rows are generated here and streamed
 * into it with `COPY ... FROM STDIN` (one stream per week, routed by event time), then the table
 * is attached again (Postgres builds the partitioned indexes once, over sorted input, instead of
 * row by row) and what the triggers would have kept (alert_contents, alert_rollups and
 * its daily and five-minute tables, alert_tag_rollups, alert_tag_rollups_5m, group counts) is filled in with one statement each. Same data as the earlier INSERT ... SELECT loader: 30
 * rules with Zipf-like frequencies and their Falco priorities, 200 hosts and 30 namespaces
 * (skewed), 70 % production, statuses by age, 30 % assigned, `/etc/passwd` in 5 % and
 * `/etc/shadow` in 0.2 % of outputs, times denser towards now. Every content is distinct (the worst
 * case for alert_contents) unless `distinctContents` is set: then each alert's rule, host,
 * namespace and output come from one of that many contents picked uniformly (the same shares of
 * rules, hosts and files in expectation), as Falco's outputs repeat on a live system.
 */
export async function loadAlerts(
  url: string,
  total: number,
  log: (line: string) => void,
  options: { distinctContents?: number } = {},
): Promise<{ organizationId: string; production: string; staging: string; userId: string }> {
  const distinctContents = options.distinctContents ?? 0;
  if (!Number.isInteger(distinctContents) || distinctContents < 0)
    throw new Error(
      `distinctContents must be a whole number >= 0 (0: every content distinct), not ${distinctContents}`,
    );
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const streams: pg.Client[] = [];
  try {
    await client.query(`SET maintenance_work_mem = '1GB'`);
    const org = await client.query<{ id: string }>(
      `INSERT INTO organizations (name, slug, "updatedAt") VALUES ('Bench', 'bench', now()) RETURNING id`,
    );
    const organizationId = org.rows[0]?.id as string;
    const envs = await client.query<{ id: string; name: string }>(
      `INSERT INTO environments ("organizationId", name, "displayName", position)
       VALUES ($1, 'staging', 'Staging', 0), ($1, 'production', 'Production', 1) RETURNING id, name`,
      [organizationId],
    );
    const production = envs.rows.find((r) => r.name === 'production')?.id as string;
    const staging = envs.rows.find((r) => r.name === 'staging')?.id as string;
    await client.query(
      `INSERT INTO "user" (id, name, email) SELECT 'bench-user-' || g, 'Analyst ' || g, 'analyst' || g || '@bench.test'
       FROM generate_series(1, 5) g`,
    );
    await client.query(
      `INSERT INTO memberships ("organizationId", "userId", role) SELECT $1, 'bench-user-' || g, 'triager'
       FROM generate_series(1, 5) g`,
      [organizationId],
    );
    // Groups first (every rule x host x environment), so each alert is written with its groupId;
    // their counts and bounds are filled in from the alerts at the end.
    const groups = await client.query<{ id: string; env: string; key: string }>(
      `INSERT INTO alert_groups ("organizationId", "environmentId", "dedupKey", rule, priority, source, count,
         "firstSeenAt", "lastSeenAt", "lastOutput")
       SELECT $1::uuid, e.id, md5(r.rule || '|' || h), r.rule, r.priority::"Priority", r.source, 0, now(), now(), ''
       FROM jsonb_to_recordset($4::jsonb) AS r(rule text, priority text, source text)
       CROSS JOIN generate_series(0, 199) h CROSS JOIN (VALUES ($2::uuid), ($3::uuid)) e(id)
       RETURNING id, "environmentId" AS env, "dedupKey" AS key`,
      [
        organizationId,
        production,
        staging,
        JSON.stringify(RULES.map(([rule, priority, source]) => ({ rule, priority, source }))),
      ],
    );
    const groupIds = new Map(groups.rows.map((g) => [`${g.env}|${g.key}`, g.id]));

    // The weeks the data spans: each partition replaced by a bare table.
    const now = Date.now();
    const weeks: number[] = [];
    for (let w = weekStart(now - 30 * DAY_MS); w <= now; w += 7 * DAY_MS) weeks.push(w);
    const contentIndexes = await secondaryIndexes(client, 'alert_contents');
    for (const w of weeks) {
      const name = partitionName(w);
      await client.query(`SELECT alerts_ensure_partition($1::date)`, [
        new Date(w).toISOString().slice(0, 10),
      ]);
      await client.query(`ALTER TABLE alerts DETACH PARTITION ${name}`);
      await client.query(`DROP TABLE ${name}`);
      await client.query(
        `CREATE TABLE ${name} (LIKE alerts INCLUDING DEFAULTS INCLUDING GENERATED);
         ALTER TABLE ${name} ADD CONSTRAINT ${name}_range
           CHECK ("eventTime" >= '${new Date(w).toISOString()}' AND "eventTime" < '${new Date(w + 7 * DAY_MS).toISOString()}')`,
      );
    }
    const columns = `id, "organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
      hostname, "eventTime", status, "assigneeId", "dedupKey", "groupId"`;
    const firstId = Number(
      (await client.query<{ id: string }>(`SELECT nextval('alerts_id_seq') AS id`)).rows[0]?.id,
    );
    const copies = new Map<number, ReturnType<typeof copyFrom>>();
    for (const w of weeks) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      streams.push(c);
      copies.set(w, c.query(copyFrom(`COPY ${partitionName(w)} (${columns}) FROM STDIN`)));
    }
    const buffers = new Map<number, string[]>(weeks.map((w) => [w, []]));
    const flush = async (w: number) => {
      const lines = buffers.get(w) as string[];
      if (lines.length === 0) return;
      const stream = copies.get(w) as ReturnType<typeof copyFrom>;
      buffers.set(w, []);
      if (!stream.write(lines.join(''))) await once(stream, 'drain');
    };
    const containers = Array.from({ length: 200 }, (_, h) => md5(String(h)).slice(0, 12));
    const started = Date.now();
    const contentRandom = seededRandom(0);
    for (let i = 0; i < total; i++) {
      // What makes up an alert's content (rule, host, namespace, command, file, pid) is drawn from
      // one of `distinctContents` seeds when set, so contents repeat as Falco outputs do; the rest
      // (environment, time, status, assignee) stays per alert.
      const draw =
        distinctContents > 0
          ? contentRandom.reseed(Math.floor(Math.random() * distinctContents))
          : Math.random;
      const ruleIdx = Math.floor(RULES.length * draw() ** 2.2);
      const [rule, priority, source] = RULES[ruleIdx] as [string, string, string];
      const host = Math.floor(200 * draw() ** 1.8);
      const ns = Math.floor(30 * draw() ** 1.5);
      const rText = draw();
      const procIdx = Math.floor(draw() * PROCS.length);
      const envId = Math.random() < 0.7 ? production : staging;
      const rStatus = Math.random();
      const rAssign = Math.random();
      const proc = PROCS[procIdx] as string;
      const user = USERS[procIdx % 5] as string;
      const t = now - Math.random() ** 1.3 * 30 * DAY_MS;
      const container = containers[host] as string;
      const file =
        rText < 0.002 ? '/etc/shadow' : rText < 0.05 ? '/etc/passwd' : `/tmp/${md5(String(rText))}`;
      const output = `${rule} (user=${user} command=${proc} ${file} container=${container} k8s.ns=ns-${ns})`;
      const fields =
        source === 'syscall' || source === 'k8s_audit'
          ? {
              'proc.name': proc,
              'proc.pid': 1000 + Math.round(rText * 60000),
              'container.id': container,
              'k8s.ns.name': `ns-${ns}`,
              'k8s.pod.name': `pod-${host}-${ns}`,
              'user.name': user,
            }
          : { 'user.name': `user${procIdx}@corp.example`, ip: `10.0.${ns}.${host}` };
      const technique = RULE_TECHNIQUES[ruleIdx] as string;
      const tags =
        source === 'syscall'
          ? `{host,container,mitre_execution,${technique}}`
          : source === 'k8s_audit'
            ? `{k8s,mitre_persistence,${technique}}`
            : `{cloud,mitre_credential_access,${technique}}`;
      const status =
        t > now - DAY_MS || rStatus < 0.55
          ? 'open'
          : rStatus < 0.75
            ? 'acknowledged'
            : rStatus < 0.93
              ? 'resolved'
              : 'false_positive';
      const assignee = rAssign < 0.3 ? `bench-user-${1 + Math.floor(rAssign * 16)}` : null;
      const dedupKey = md5(`${rule}|${host}`);
      const row: (string | null)[] = [
        String(firstId + i),
        organizationId,
        envId,
        rule,
        priority,
        source,
        output,
        JSON.stringify(fields),
        tags,
        source === 'syscall' ? `node-${host}` : null,
        new Date(t).toISOString(),
        status,
        assignee,
        dedupKey,
        groupIds.get(`${envId}|${dedupKey}`) ?? null,
      ];
      const w = weekStart(t);
      const lines = buffers.get(w) as string[];
      lines.push(`${row.map(copyText).join('\t')}\n`);
      if (lines.length >= 2_000) await flush(w);
      if ((i + 1) % 1_000_000 === 0)
        log(`  ${i + 1} alerts streamed (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    for (const w of weeks) await flush(w);
    await Promise.all(
      [...copies.values()].map(async (stream) => {
        const done = once(stream, 'finish');
        stream.end();
        await done;
      }),
    );
    await client.query(`SELECT setval('alerts_id_seq', $1)`, [firstId + total]);
    log(`  copied (${((Date.now() - started) / 1000).toFixed(0)} s); attaching (index builds)`);
    for (const w of weeks) {
      const name = partitionName(w);
      await client.query(
        `ALTER TABLE alerts ATTACH PARTITION ${name}
           FOR VALUES FROM ('${new Date(w).toISOString()}') TO ('${new Date(w + 7 * DAY_MS).toISOString()}')`,
      );
      await client.query(`ALTER TABLE ${name} DROP CONSTRAINT ${name}_range`);
      log(`  ${name} attached (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    // What the statement triggers keep on a live system, computed once over the loaded rows.
    for (const ix of contentIndexes) await client.query(`DROP INDEX ${JSON.stringify(ix.name)}`);
    await client.query(
      `INSERT INTO alert_contents ("organizationId", hash, message, "outputFields", tags, "firstSeenAt")
       SELECT DISTINCT ON (a."organizationId", a."contentHash")
              a."organizationId", a."contentHash", alert_message(a.output), alert_content_fields(a."outputFields"), a.tags, a."createdAt"
       FROM alerts a ORDER BY a."organizationId", a."contentHash", a."createdAt"
       ON CONFLICT DO NOTHING`,
    );
    for (const ix of contentIndexes) await client.query(ix.def);
    log(`  alert_contents (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    await client.query(
      `INSERT INTO alert_rollups AS r ("organizationId", "environmentId", bucket, dimension, key, count)
       SELECT a."organizationId", a."environmentId", date_trunc('hour', a."eventTime", 'UTC'), d.dimension,
              alert_rollup_key(d.key), count(*)
       FROM alerts a
       CROSS JOIN LATERAL (VALUES
         ('priority', a.priority::text), ('rule', a.rule), ('source', a.source), ('host', a.hostname),
         ('namespace', a."outputFields"->>'k8s.ns.name'), ('status', a.status::text)
       ) AS d(dimension, key)
       WHERE d.key IS NOT NULL
       GROUP BY 1, 2, 3, 4, 5
       ORDER BY 2, 4, 3, 5
       ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count`,
    );
    // The daily and five-minute rows (20261216200000_alert_rollups_5m_daily), as their triggers
    // would have kept them.
    for (const [table, bucket] of [
      ['alert_rollups_daily', `date_trunc('day', a."eventTime", 'UTC')`],
      ['alert_rollups_5m', `alert_tag_5m_bucket(a."eventTime")`],
    ] as const) {
      await client.query(
        `INSERT INTO ${table} AS r ("organizationId", "environmentId", bucket, dimension, key, count)
         SELECT a."organizationId", a."environmentId", ${bucket}, d.dimension, alert_rollup_key(d.key), count(*)
         FROM alerts a
         CROSS JOIN LATERAL (VALUES
           ('priority', a.priority::text), ('rule', a.rule), ('source', a.source), ('host', a.hostname),
           ('namespace', a."outputFields"->>'k8s.ns.name'), ('status', a.status::text)
         ) AS d(dimension, key)
         WHERE d.key IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5
         -- In key order: a hashed GROUP BY leaves one row per heap page for a range's reads.
         ORDER BY 2, 4, 3, 5
         ON CONFLICT ("environmentId", dimension, bucket, key) DO UPDATE SET count = r.count + EXCLUDED.count`,
      );
    }
    await client.query(
      `INSERT INTO alert_tag_rollups AS r ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
       SELECT a."organizationId", a."environmentId", date_trunc('hour', a."eventTime", 'UTC'),
              alert_tag_set_hash(a.tags), a.tags, count(*)
       FROM alerts a
       WHERE cardinality(a.tags) > 0
       GROUP BY 1, 2, 3, 4, 5
       ON CONFLICT ("environmentId", bucket, "tagsHash") DO UPDATE SET count = r.count + EXCLUDED.count`,
    );
    await client.query(
      `INSERT INTO alert_tag_rollups_5m AS r ("organizationId", "environmentId", bucket, "tagsHash", tags, count)
       SELECT a."organizationId", a."environmentId", alert_tag_5m_bucket(a."eventTime"),
              alert_tag_set_hash(a.tags), a.tags, count(*)
       FROM alerts a
       WHERE cardinality(a.tags) > 0
       GROUP BY 1, 2, 3, 4, 5
       ON CONFLICT ("environmentId", bucket, "tagsHash") DO UPDATE SET count = r.count + EXCLUDED.count`,
    );
    log(
      `  alert_rollups (hourly, daily, 5m), alert_tag_rollups, alert_tag_rollups_5m (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
    await client.query(
      `UPDATE alert_groups ag SET count = s.n, "firstSeenAt" = s.first, "lastSeenAt" = s.last, "lastOutput" = s.output
       FROM (SELECT "groupId", count(*) AS n, min("eventTime") AS first, max("eventTime") AS last, max(output) AS output
             FROM alerts GROUP BY "groupId") s
       WHERE ag.id = s."groupId"`,
    );
    await client.query('DELETE FROM alert_groups WHERE count = 0');
    log('  vacuum analyze');
    await client.query('VACUUM ANALYZE alerts');
    await client.query('VACUUM ANALYZE alert_groups');
    // Unanalysed, the planner takes the organisation for a rare value in alert_contents and scans
    // its whole primary key; autovacuum would have caught up on a live system long before.
    await client.query('VACUUM ANALYZE alert_rollups');
    await client.query('VACUUM ANALYZE alert_rollups_daily');
    await client.query('VACUUM ANALYZE alert_rollups_5m');
    await client.query('VACUUM ANALYZE alert_tag_rollups');
    await client.query('VACUUM ANALYZE alert_tag_rollups_5m');
    await client.query('VACUUM ANALYZE alert_contents');
    return { organizationId, production, staging, userId: 'bench-user-1' };
  } finally {
    await Promise.all(streams.map((c) => c.end().catch(() => undefined)));
    await client.end();
  }
}
