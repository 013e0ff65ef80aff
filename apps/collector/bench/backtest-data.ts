/**
 * Stored events for the backtest benchmark, written by Postgres itself (INSERT ... SELECT
 * generate_series, 100k rows a statement): raw cloud events in the collector's plugin envelope
 * (`{ts, payload}`, as raw_events keeps them) and sensor alerts whose event was not kept (only
 * output fields), spread evenly over the seven days before `end`, in time order (as a collector
 * stores them). Shares: 56 % Kubernetes audit, 25 % CloudTrail, 8 % Okta, 1 % GitHub, 10 % sensor
 * alerts. About 1-2 % of the raw events trip an upstream rule; the records carry the fields those
 * services send (a Kubernetes audit event at level Metadata, a CloudTrail management event, an
 * Okta LogEvent, a trimmed GitHub push), 0.7-1.6 KB of JSON each.
 */
import { rawEventMembersSql } from '@peregrine/db';
import type pg from 'pg';

export interface BenchScope {
  organizationId: string;
  environmentId: string;
  /** Events end here; the first is seven days earlier. */
  end: Date;
}

export const SHARES = {
  k8s_audit: 0.56,
  aws_cloudtrail: 0.25,
  okta: 0.08,
  github: 0.01,
  alerts: 0.1,
} as const;

const SPAN_MS = 7 * 86_400_000;
const CHUNK = 100_000;

/** The time of the i-th of n events of one kind, spread over the span ($3 = end, $4 = n). */
const TIME = `($3::timestamptz - interval '7 days' + (i::float8 / $4) * interval '${SPAN_MS} milliseconds')`;
const NS = `((extract(epoch from ${TIME}) * 1e6)::bigint * 1000)::text`;
const ISO = `to_char(${TIME} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const K8S = `jsonb_build_object('ts', ${NS}, 'payload', jsonb_build_object(
  'kind', 'Event', 'apiVersion', 'audit.k8s.io/v1', 'level', 'Metadata',
  'auditID', md5('k' || i), 'stage', 'ResponseComplete',
  'requestURI', '/api/v1/namespaces/ns-' || (i % 40) || '/' || res || '/obj-' || (i % 5000),
  'verb', verb,
  'user', jsonb_build_object('username', usr, 'groups', jsonb_build_array('system:authenticated')),
  'sourceIPs', jsonb_build_array('10.' || (i % 200) || '.' || (i % 250) || '.' || (i % 7)),
  'userAgent', 'kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/4f6d2a1/system:serviceaccount:kube-system:generic-garbage-collector',
  'objectRef', jsonb_build_object('resource', res, 'namespace', 'ns-' || (i % 40), 'name', 'obj-' || (i % 5000), 'apiVersion', 'v1'),
  'responseStatus', jsonb_build_object('metadata', '{}'::jsonb, 'code', CASE WHEN i % 97 = 0 THEN 403 ELSE 200 END),
  'requestReceivedTimestamp', ${ISO}, 'stageTimestamp', ${ISO},
  'annotations', jsonb_build_object('authorization.k8s.io/decision', 'allow',
    'authorization.k8s.io/reason', 'RBAC: allowed by ClusterRoleBinding "system:controller:generic-garbage-collector"')))`;

const K8S_FROM = `(SELECT i,
    CASE WHEN i % 1000 < 6 THEN (ARRAY['alice', 'bob', 'carol'])[1 + i % 3]
         WHEN i % 2 = 0 THEN 'system:serviceaccount:kube-system:generic-garbage-collector'
         ELSE 'system:node:node-' || (i % 60) END AS usr,
    CASE WHEN i % 1000 < 3 THEN 'create' WHEN i % 1000 < 4 THEN 'delete'
         WHEN i % 3 = 0 THEN 'watch' WHEN i % 3 = 1 THEN 'get' ELSE 'list' END AS verb,
    CASE WHEN i % 400 = 7 THEN 'secrets' WHEN i % 1000 = 1 THEN 'configmaps' WHEN i % 1000 = 2 THEN 'deployments'
         ELSE (ARRAY['pods', 'endpoints', 'leases', 'nodes', 'events'])[1 + i % 5] END AS res
  FROM generate_series($1::int, $2::int) i) g`;

const CLOUDTRAIL = `jsonb_build_object('ts', ${NS}, 'payload', jsonb_build_object(
  'eventVersion', '1.09', 'eventTime', to_char(${TIME} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'eventSource', src, 'eventName', name, 'awsRegion', (ARRAY['us-east-1', 'eu-west-1', 'ap-south-1'])[1 + i % 3],
  'sourceIPAddress', '203.0.113.' || (i % 250), 'userAgent', 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5',
  'userIdentity', jsonb_build_object('type', CASE WHEN name = 'ConsoleLogin' THEN 'IAMUser' ELSE 'AssumedRole' END,
    'principalId', 'AROA' || upper(md5('p' || (i % 300))), 'arn', 'arn:aws:sts::123456789012:assumed-role/app-' || (i % 300) || '/session',
    'accountId', '123456789012', 'userName', 'app-' || (i % 300),
    'sessionContext', jsonb_build_object('attributes', jsonb_build_object('mfaAuthenticated', 'false',
      'creationDate', to_char(${TIME} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))),
  'requestParameters', jsonb_build_object('instancesSet', jsonb_build_object('items', jsonb_build_array(
      jsonb_build_object('instanceId', 'i-' || substr(md5('i' || i), 1, 17)))), 'filterSet', '{}'::jsonb),
  'responseElements', CASE WHEN name = 'ConsoleLogin' THEN jsonb_build_object('ConsoleLogin', 'Success') ELSE NULL END,
  'additionalEventData', CASE WHEN name = 'ConsoleLogin' THEN jsonb_build_object('MFAUsed', CASE WHEN i % 2 = 0 THEN 'No' ELSE 'Yes' END) ELSE NULL END,
  'requestID', md5('r' || i), 'eventID', md5('c' || i), 'readOnly', name LIKE 'Describe%' OR name LIKE 'Get%',
  'eventType', CASE WHEN name = 'ConsoleLogin' THEN 'AwsConsoleSignIn' ELSE 'AwsApiCall' END,
  'managementEvent', true, 'recipientAccountId', '123456789012', 'eventCategory', 'Management'))`;

const CLOUDTRAIL_FROM = `(SELECT i,
    CASE WHEN i % 1000 < 3 THEN 'ConsoleLogin' WHEN i % 1000 < 5 THEN 'RunInstances' WHEN i % 1000 = 5 THEN 'CreateUser'
         ELSE (ARRAY['DescribeInstances', 'GetObject', 'AssumeRole', 'DescribeVolumes', 'GetCallerIdentity'])[1 + i % 5] END AS name,
    CASE WHEN i % 1000 < 3 THEN 'signin.amazonaws.com' WHEN i % 1000 < 5 THEN 'ec2.amazonaws.com'
         WHEN i % 1000 = 5 THEN 'iam.amazonaws.com' ELSE 'ec2.amazonaws.com' END AS src
  FROM generate_series($1::int, $2::int) i) g`;

const OKTA = `jsonb_build_object('ts', ${NS}, 'payload', jsonb_build_object(
  'uuid', md5('o' || i), 'published', ${ISO}, 'eventType', typ, 'version', '0', 'severity', 'INFO',
  'displayMessage', 'User login to Okta', 'legacyEventType', 'core.user_auth.login_success',
  'actor', jsonb_build_object('id', '00u' || substr(md5('a' || (i % 900)), 1, 17), 'type', 'User',
    'alternateId', 'user' || (i % 900) || '@example.com', 'displayName', 'User ' || (i % 900)),
  'client', jsonb_build_object('userAgent', jsonb_build_object('rawUserAgent',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'os', 'Mac OS X', 'browser', 'SAFARI'), 'zone', 'null', 'device', 'Computer', 'ipAddress', '198.51.100.' || (i % 250),
    'geographicalContext', jsonb_build_object('city', 'Lyon', 'state', 'Auvergne-Rhone-Alpes', 'country', 'France',
      'postalCode', '69001', 'geolocation', jsonb_build_object('lat', 45.76, 'lon', 4.83))),
  'outcome', jsonb_build_object('result', 'SUCCESS', 'reason', NULL),
  'transaction', jsonb_build_object('type', 'WEB', 'id', md5('t' || i)),
  'debugContext', jsonb_build_object('debugData', jsonb_build_object('requestUri', '/api/v1/authn', 'requestId', md5('q' || i),
    'threatSuspected', 'false', 'url', '/api/v1/authn?')),
  'authenticationContext', jsonb_build_object('authenticationStep', 0, 'externalSessionId', md5('s' || i)),
  'target', jsonb_build_array(jsonb_build_object('id', '0oa' || substr(md5('app' || (i % 40)), 1, 17), 'type', 'AppInstance',
    'alternateId', 'App ' || (i % 40), 'displayName', 'App ' || (i % 40)))))`;

const OKTA_FROM = `(SELECT i,
    CASE WHEN i % 1000 < 10 THEN 'user.authentication.sso' WHEN i % 1000 = 10 THEN 'user.account.lock'
         WHEN i % 1000 = 11 THEN 'group.user_membership.add' WHEN i % 1000 = 12 THEN 'user.mfa.factor.deactivate'
         ELSE (ARRAY['user.session.start', 'policy.evaluate_sign_on', 'user.authentication.verify'])[1 + i % 3] END AS typ
  FROM generate_series($1::int, $2::int) i) g`;

const GITHUB = `jsonb_build_object('ts', ${NS}, 'payload', jsonb_build_object(
  'webhook_type', typ, 'action', act, 'ref', 'refs/heads/main',
  'before', md5('b' || i) || substr(md5('x' || i), 1, 8), 'after', md5('f' || i) || substr(md5('y' || i), 1, 8),
  'repository', jsonb_build_object('id', 7000 + i % 50, 'name', 'repo-' || (i % 50), 'full_name', 'acme/repo-' || (i % 50),
    'private', i % 50 <> 0, 'html_url', 'https://github.com/acme/repo-' || (i % 50),
    'description', 'Service ' || (i % 50), 'owner', jsonb_build_object('login', 'acme', 'id', 1001, 'type', 'Organization')),
  'sender', jsonb_build_object('login', 'dev' || (i % 120), 'id', 5000 + i % 120, 'type', 'User'),
  'pusher', jsonb_build_object('name', 'dev' || (i % 120), 'email', 'dev' || (i % 120) || '@acme.example'),
  'head_commit', jsonb_build_object('id', md5('h' || i), 'message', 'Fix flaky test in module ' || (i % 90),
    'timestamp', ${ISO}, 'added', '[]'::jsonb, 'removed', '[]'::jsonb,
    'modified', jsonb_build_array('src/module-' || (i % 90) || '.ts'))))`;

const GITHUB_FROM = `(SELECT i,
    CASE WHEN i % 200 = 0 THEN 'repository' WHEN i % 200 = 1 THEN 'member' ELSE 'push' END AS typ,
    CASE WHEN i % 200 = 0 THEN 'created' WHEN i % 200 = 1 THEN 'added' ELSE NULL END AS act
  FROM generate_series($1::int, $2::int) i) g`;

/** A sensor alert of an upstream rule: the output fields it stores (no raw event is kept). */
const ALERT_FIELDS = `CASE WHEN i % 3 = 0 THEN jsonb_build_object(
    'evt.type', 'execve', 'user.name', 'root', 'user.uid', 0, 'user.loginuid', -1, 'proc.name', sh,
    'proc.exepath', '/bin/' || sh, 'proc.pname', 'runc', 'proc.cmdline', sh || ' -i', 'proc.tty', 34816,
    'evt.arg.flags', 'EXE_WRITABLE', 'container.id', substr(md5('c' || (i % 400)), 1, 12),
    'container.name', 'web-' || (i % 400), 'container.image.repository', 'registry.example/web',
    'k8s.ns.name', 'ns-' || (i % 40), 'k8s.pod.name', 'web-' || (i % 400), 'evt.time', ${NS}::numeric)
  ELSE jsonb_build_object(
    'evt.type', 'openat', 'user.name', 'www-data', 'user.uid', 33, 'user.loginuid', -1,
    'proc.name', 'python3', 'proc.exepath', '/usr/bin/python3', 'proc.pname', 'gunicorn', 'proc.cmdline', 'python3 app.py',
    'fd.name', '/etc/shadow', 'file', '/etc/shadow', 'gparent', 'containerd-shim', 'ggparent', 'systemd',
    'container.id', substr(md5('c' || (i % 400)), 1, 12), 'container.name', 'api-' || (i % 400),
    'k8s.ns.name', 'ns-' || (i % 40), 'k8s.pod.name', 'api-' || (i % 400), 'evt.time', ${NS}::numeric) END`;

/** Loads `total` events; returns how many of each kind were written. */
export async function loadBenchEvents(
  client: pg.ClientBase,
  scope: BenchScope,
  total: number,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const raw = async (source: string, select: string, from: string, n: number) => {
    for (let at = 0; at < n; at += CHUNK) {
      const to = Math.min(n, at + CHUNK) - 1;
      await client.query(
        // With the members ingest writes beside each payload (rawEventMembers, here as SQL).
        `INSERT INTO raw_events ("organizationId", "environmentId", source, "eventTime", payload, "ingestKey", members)
         SELECT o, e, s, t, payload, k, ${rawEventMembersSql('payload')}
         FROM (SELECT $5::uuid AS o, $6::uuid AS e, $7 AS s, ${TIME} AS t, ${select} AS payload,
                      $7 || '/' || i AS k FROM ${from} OFFSET 0) r`,
        [at, to, scope.end, n, scope.organizationId, scope.environmentId, source],
      );
      log(`  ${source}: ${to + 1}/${n}`);
    }
    counts[source] = n;
  };
  await raw('k8s_audit', K8S, K8S_FROM, Math.round(total * SHARES.k8s_audit));
  await raw('aws_cloudtrail', CLOUDTRAIL, CLOUDTRAIL_FROM, Math.round(total * SHARES.aws_cloudtrail));
  await raw('okta', OKTA, OKTA_FROM, Math.round(total * SHARES.okta));
  await raw('github', GITHUB, GITHUB_FROM, Math.round(total * SHARES.github));
  const alerts = total - Object.values(counts).reduce((a, b) => a + b, 0);
  for (let at = 0; at < alerts; at += CHUNK) {
    const to = Math.min(alerts, at + CHUNK) - 1;
    await client.query(
      `INSERT INTO alerts ("organizationId", "environmentId", rule, priority, source, output, "outputFields",
                           tags, hostname, "eventTime", "dedupKey", "ingestKey")
       SELECT $5::uuid, $6::uuid,
              CASE WHEN i % 3 = 0 THEN 'Terminal shell in container' ELSE 'Read sensitive file untrusted' END,
              CASE WHEN i % 3 = 0 THEN 'notice'::"Priority" ELSE 'warning'::"Priority" END,
              'syscall', 'alert ' || i, ${ALERT_FIELDS}, ARRAY['container', 'mitre_execution'],
              'node-' || (i % 60), ${TIME}, md5('d' || (i % 5000)), 'sensor/' || i
       FROM (SELECT i, (ARRAY['bash', 'sh', 'zsh'])[1 + (i / 3) % 3] AS sh FROM generate_series($1::int, $2::int) i) g`,
      [at, to, scope.end, alerts, scope.organizationId, scope.environmentId],
    );
    log(`  alerts: ${to + 1}/${alerts}`);
  }
  counts.alerts = alerts;
  return counts;
}
