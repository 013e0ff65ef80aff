import pg from 'pg';

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

/**
 * Loads `total` alerts over the last 30 days into a migrated database (multi-row INSERT ... SELECT
 * over generate_series, 100k rows per statement), with groups, and returns the ids it made.
 */
export async function loadAlerts(
  url: string,
  total: number,
  log: (line: string) => void,
): Promise<{ organizationId: string; production: string; staging: string; userId: string }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const org = await client.query<{ id: string }>(
      `INSERT INTO organizations (name, slug, "updatedAt") VALUES ('Bench', 'bench', now()) RETURNING id`,
    );
    const organizationId = org.rows[0]?.id as string;
    const envs = await client.query<{ id: string; name: string }>(
      `INSERT INTO environments ("organizationId", name, "displayName", position)
       VALUES ($1, 'staging', 'Staging', 0), ($1, 'production', 'Production', 1) RETURNING id, name`,
      [organizationId],
    );
    const env = Object.fromEntries(envs.rows.map((r) => [r.name, r.id]));
    await client.query(
      `INSERT INTO "user" (id, name, email) SELECT 'bench-user-' || g, 'Analyst ' || g, 'analyst' || g || '@bench.test'
       FROM generate_series(1, 5) g`,
    );
    await client.query(
      `INSERT INTO memberships ("organizationId", "userId", role) SELECT $1, 'bench-user-' || g, 'triager'
       FROM generate_series(1, 5) g`,
      [organizationId],
    );
    // Reference tables the generator samples from.
    await client.query(
      `CREATE TEMP TABLE bench_rules (idx int, rule text, priority "Priority", source text)`,
    );
    await client.query(
      `INSERT INTO bench_rules SELECT r.idx, r.rule, r.priority::"Priority", r.source
       FROM jsonb_to_recordset($1::jsonb) AS r(idx int, rule text, priority text, source text)`,
      [JSON.stringify(RULES.map(([rule, priority, source], idx) => ({ idx, rule, priority, source })))],
    );
    // Groups first (every rule x host x environment), so each alert is inserted with its groupId;
    // their counts and bounds are filled in from the alerts at the end.
    await client.query(
      `INSERT INTO alert_groups ("organizationId", "environmentId", "dedupKey", rule, priority, source, count,
         "firstSeenAt", "lastSeenAt", "lastOutput")
       SELECT $1::uuid, e.id, md5(br.rule || '|' || h), br.rule, br.priority, br.source, 0, now(), now(), ''
       FROM bench_rules br CROSS JOIN generate_series(0, 199) h CROSS JOIN (VALUES ($2::uuid), ($3::uuid)) e(id)`,
      [organizationId, env.production, env.staging],
    );
    const chunk = 100_000;
    const started = Date.now();
    for (let done = 0; done < total; done += chunk) {
      const n = Math.min(chunk, total - done);
      await client.query(
        `WITH g AS (
           SELECT
             floor(${RULES.length} * power(random(), 2.2))::int AS rule_idx,
             floor(200 * power(random(), 1.8))::int AS host_idx,
             floor(30 * power(random(), 1.5))::int AS ns_idx,
             random() AS r_env, random() AS r_status, random() AS r_assign, random() AS r_text,
             floor(random() * ${PROCS.length})::int AS proc_idx,
             -- Busier in working hours: most events in the last 30 days, denser recently.
             now() - (power(random(), 1.3) * interval '30 days') AS t
           FROM generate_series(1, ${n})
         ), h AS (
           SELECT g.*, CASE WHEN g.r_env < 0.7 THEN $2::uuid ELSE $3::uuid END AS env_id FROM g
         )
         INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
           hostname, "eventTime", status, "assigneeId", "dedupKey", "groupId")
         SELECT $1::uuid,
           g.env_id,
           br.rule, br.priority, br.source,
           br.rule || ' (user=' || (ARRAY['root','www-data','app','deploy','nobody'])[1 + (g.proc_idx % 5)] ||
             ' command=' || (ARRAY${JSON.stringify(PROCS).replace(/"/g, "'")})[1 + g.proc_idx] || ' ' ||
             CASE WHEN g.r_text < 0.002 THEN '/etc/shadow' WHEN g.r_text < 0.05 THEN '/etc/passwd'
                  ELSE '/tmp/' || md5(g.r_text::text) END ||
             ' container=' || substr(md5(g.host_idx::text), 1, 12) || ' k8s.ns=ns-' || g.ns_idx || ')',
           CASE WHEN br.source IN ('syscall', 'k8s_audit') THEN
             jsonb_build_object('proc.name', (ARRAY${JSON.stringify(PROCS).replace(/"/g, "'")})[1 + g.proc_idx],
               'proc.pid', 1000 + (g.r_text * 60000)::int, 'container.id', substr(md5(g.host_idx::text), 1, 12),
               'k8s.ns.name', 'ns-' || g.ns_idx, 'k8s.pod.name', 'pod-' || g.host_idx || '-' || g.ns_idx,
               'user.name', (ARRAY['root','www-data','app','deploy','nobody'])[1 + (g.proc_idx % 5)])
           ELSE jsonb_build_object('user.name', 'user' || g.proc_idx || '@corp.example', 'ip', '10.0.' || g.ns_idx || '.' || g.host_idx)
           END,
           CASE br.source WHEN 'syscall' THEN ARRAY['host', 'container', 'mitre_execution']
                          WHEN 'k8s_audit' THEN ARRAY['k8s', 'mitre_persistence']
                          ELSE ARRAY['cloud', 'mitre_credential_access'] END,
           CASE WHEN br.source = 'syscall' THEN 'node-' || g.host_idx ELSE NULL END,
           g.t,
           (CASE WHEN g.t > now() - interval '1 day' THEN 'open'
                 WHEN g.r_status < 0.55 THEN 'open' WHEN g.r_status < 0.75 THEN 'acknowledged'
                 WHEN g.r_status < 0.93 THEN 'resolved' ELSE 'false_positive' END)::"AlertStatus",
           CASE WHEN g.r_assign < 0.3 THEN 'bench-user-' || (1 + floor(g.r_assign * 16)::int) ELSE NULL END,
           ag."dedupKey", ag.id
         FROM h AS g JOIN bench_rules br ON br.idx = g.rule_idx
           JOIN alert_groups ag ON ag."environmentId" = g.env_id AND ag."dedupKey" = md5(br.rule || '|' || g.host_idx)`,
        [organizationId, env.production, env.staging],
      );
      log(`  ${done + n} alerts (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
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
    // Tables the alert triggers fill: the rollups (upserted once per statement, so a bulk load
    // leaves most of their rows dead) and the contents. Unanalysed, the planner takes the
    // organisation for a rare value in alert_contents and scans its whole primary key; autovacuum
    // would have caught up on a live system long before anyone looked.
    await client.query('VACUUM ANALYZE alert_rollups');
    await client.query('VACUUM ANALYZE alert_contents');
    return {
      organizationId,
      production: env.production as string,
      staging: env.staging as string,
      userId: 'bench-user-1',
    };
  } finally {
    await client.end();
  }
}
