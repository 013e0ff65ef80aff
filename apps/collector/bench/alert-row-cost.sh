#!/usr/bin/env bash
# Database CPU per stored alert: inserts 40 statements of 500 alerts (the collector's statement
# size) into a migrated database already holding 200 000 alerts, and reads the Postgres backend's
# CPU time (utime + stime from /proc) around them, so the figure holds on a busy machine too.
#
#   bash apps/collector/bench/alert-row-cost.sh [SQL applied after migrating, e.g. for an A/B]
#
# Two rounds per content shape: `repeated` (40 distinct contents, as Falco outputs repeat but for
# their time prefix) and `unique` (every alert a new content). Needs psql and the local Postgres
# (TEST_SERVER: 127.0.0.1:5432, user postgres); the database must be on this host (/proc).
set -euo pipefail
cd "$(dirname "$0")/../../.."
extra=${1:-}
PG=(psql -h 127.0.0.1 -U postgres -q -v ON_ERROR_STOP=1)
tmpl=peregrine_rowcost_template
"${PG[@]}" -c "DROP DATABASE IF EXISTS $tmpl" -c "CREATE DATABASE $tmpl" >/dev/null 2>&1
DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$tmpl" node scripts/db-migrate.mjs >/dev/null
[ -n "$extra" ] && "${PG[@]}" "$tmpl" -c "$extra" >/dev/null

alerts_sql() { # $1: number of alerts, $2: distinct contents (0 = all unique), $3: key prefix, $4: where
  cat <<SQL
INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields", tags,
                    hostname, "eventTime", "sensorId", "dedupKey", "ingestKey")
SELECT '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002',
  (ARRAY['Terminal shell in container','Read sensitive file untrusted'])[1 + g % 2], 'notice', 'syscall',
  to_char(now() - (g || ' ms')::interval, 'HH24:MI:SS.US') || '000: Notice A shell was spawned in a container with an attached terminal | evt_type=execve user=root user_uid=0 process=bash proc_exepath=/bin/bash parent=containerd-shim command=bash -c ls /tmp/x' || (CASE WHEN $2 > 0 THEN g % $2 ELSE g END) || ' terminal=34816 container_id=c0ffee' || (CASE WHEN $2 > 0 THEN g % $2 ELSE g END) % 50 || ' container_name=web',
  jsonb_build_object('evt.type', 'execve', 'user.name', 'root', 'user.uid', 0, 'proc.name', 'bash',
    'proc.exepath', '/bin/bash', 'proc.pname', 'containerd-shim', 'proc.cmdline', 'bash -c ls /tmp/x' || (CASE WHEN $2 > 0 THEN g % $2 ELSE g END),
    'proc.tty', 34816, 'container.id', 'c0ffee' || (CASE WHEN $2 > 0 THEN g % $2 ELSE g END) % 50, 'k8s.ns.name', 'ns-' || g % 30),
  ARRAY['maturity_stable', 'host', 'container', 'shell', 'mitre_execution', 'T1059'],
  'bench-host', now() - (g || ' ms')::interval, '00000000-0000-0000-0000-000000000003', md5('k' || g % 100), '$3/' || g
FROM generate_series(1, $1) g $4;
SQL
}

"${PG[@]}" "$tmpl" >/dev/null <<SQL
INSERT INTO organizations (id, name, slug, "updatedAt") VALUES ('00000000-0000-0000-0000-000000000001', 'o', 'o', now());
INSERT INTO environments (id, "organizationId", name, "displayName") VALUES ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000001', 'prod', 'Prod');
INSERT INTO sensors (id, "organizationId", "environmentId", name, "keyPrefix", "keyHash") VALUES ('00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', 's', 'p', 'h');
$(alerts_sql 200000 0 fill "")
VACUUM ANALYZE alerts;
SQL

measure() { # $1 label, $2 distinct contents
  local db=peregrine_rowcost_run
  "${PG[@]}" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db TEMPLATE $tmpl" >/dev/null 2>&1
  local script=/tmp/peregrine-rowcost-$$.sql
  {
    echo "SELECT pg_backend_pid() AS pid \\gset"
    echo "\\setenv PGPID :pid"
    echo "\\! awk '{print \$14+\$15}' /proc/\$PGPID/stat > $script.cpu0"
    for i in $(seq 0 39); do alerts_sql 500 "$2" run "OFFSET 0" | sed "s/generate_series(1, 500)/generate_series($((i * 500 + 1)), $((i * 500 + 500)))/"; done
    echo "\\! awk '{print \$14+\$15}' /proc/\$PGPID/stat > $script.cpu1"
  } > "$script"
  "${PG[@]}" "$db" -f "$script" >/dev/null
  local ticks=$(( $(cat "$script.cpu1") - $(cat "$script.cpu0") ))
  echo "$1: $(( ticks * 1000000 / $(getconf CLK_TCK) / 20000 )) us of backend CPU per alert"
  rm -f "$script" "$script.cpu0" "$script.cpu1"
  "${PG[@]}" -c "DROP DATABASE $db" >/dev/null
}
for round in 1 2; do
  measure "round $round, repeated contents (40)" 40
  measure "round $round, unique contents" 0
done
"${PG[@]}" -c "DROP DATABASE $tmpl" >/dev/null
