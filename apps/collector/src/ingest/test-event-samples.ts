import type { SourceKind } from '@peregrine/db';
import { TEST_EVENT_TAG } from '@peregrine/protocol';

/**
 * The sample a source's test event sends (src/ingest/test-events.ts), one per kind, as the real
 * sender would deliver it: the bytes of a Kubernetes audit webhook body, an Okta event hook
 * delivery, a CloudTrail log file, a GitHub webhook payload (with its event type) or a Falco
 * http_output alert. Each is made to fire one of Peregrine's own default rules
 * (packages/engine/rules/peregrine_*_rules.yaml) and says in its content that it is a test: the
 * user, repository or process is `peregrine-test-event`, and Kubernetes annotations, Okta debug
 * data and CloudTrail additional data carry `peregrine_test_event`.
 */
export interface TestEventSample {
  /** The body as the sender sends it. */
  bytes: Buffer;
  /** GitHub's X-GitHub-Event (GitHub only). */
  eventType?: string;
  /** The rule of Peregrine's defaults the sample fires (for Falco: the alert itself). */
  expectedRule: string;
  /** What was sent, in a sentence. */
  description: string;
}

/** Who and what the samples name: visibly a test, and nobody's real account or host. */
export const TEST_EVENT_ACTOR = 'peregrine-test-event';

/** Where a sample comes from: a fresh id (its ingest key) and the time of sending. */
export interface SampleContext {
  /** Unique per test event, so each one is stored (never a duplicate of the previous one). */
  id: string;
  /** Epoch milliseconds. */
  now: number;
  /** The source's name, quoted in the Falco alert's output. */
  sourceName: string;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

/** `kubectl exec` into a pod by a service account: "Exec or Attach into Pod" (NOTICE). */
function k8sAudit({ id, now }: SampleContext): TestEventSample {
  const at = new Date(now).toISOString();
  const event = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Request',
    auditID: id,
    stage: 'ResponseComplete',
    requestURI:
      '/api/v1/namespaces/peregrine-test/pods/peregrine-test-pod/exec?command=id&container=app&stdout=true',
    verb: 'create',
    // A service account (system:…), so "Disallowed K8s User" does not fire as well.
    user: {
      username: `system:serviceaccount:peregrine-test:${TEST_EVENT_ACTOR}`,
      groups: ['system:serviceaccounts'],
    },
    sourceIPs: ['192.0.2.10'],
    userAgent: TEST_EVENT_ACTOR,
    objectRef: {
      resource: 'pods',
      namespace: 'peregrine-test',
      name: 'peregrine-test-pod',
      apiVersion: 'v1',
      subresource: 'exec',
    },
    responseStatus: { metadata: {}, code: 101 },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
    annotations: { [`peregrine.dev/${TEST_EVENT_TAG}`]: 'true', 'authorization.k8s.io/decision': 'allow' },
  };
  return {
    bytes: json({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [event] }),
    expectedRule: 'Exec or Attach into Pod',
    description: 'a Kubernetes audit event: exec into pod peregrine-test/peregrine-test-pod',
  };
}

/** An MFA factor deactivated: "Okta MFA Configuration Changed" (WARNING). */
function okta({ id, now }: SampleContext): TestEventSample {
  const event = {
    uuid: id,
    published: new Date(now).toISOString(),
    eventType: 'user.mfa.factor.deactivate',
    displayMessage: 'Reset factor for user (Peregrine test event)',
    severity: 'INFO',
    actor: {
      id: TEST_EVENT_ACTOR,
      type: 'User',
      alternateId: `${TEST_EVENT_ACTOR}@example.com`,
      displayName: TEST_EVENT_ACTOR,
    },
    client: { ipAddress: '192.0.2.10', geographicalContext: { country: 'Testland' } },
    outcome: { result: 'SUCCESS' },
    target: [
      {
        id: 'peregrine-test-user',
        type: 'User',
        alternateId: 'peregrine-test-user@example.com',
        displayName: 'peregrine-test-user',
      },
    ],
    debugContext: { debugData: { [TEST_EVENT_TAG]: 'true' } },
  };
  return {
    bytes: json({ eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', data: { events: [event] } }),
    expectedRule: 'Okta MFA Configuration Changed',
    description: 'an Okta event hook delivery: an MFA factor deactivated',
  };
}

/** An IAM user signing in without MFA: "Console Login Without MFA" (CRITICAL). */
function cloudTrail({ id, now }: SampleContext): TestEventSample {
  const record = {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAPEREGRINETESTEVENT',
      arn: `arn:aws:iam::000000000000:user/${TEST_EVENT_ACTOR}`,
      accountId: '000000000000',
      userName: TEST_EVENT_ACTOR,
    },
    // CloudTrail writes whole seconds.
    eventTime: new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    eventSource: 'signin.amazonaws.com',
    eventName: 'ConsoleLogin',
    awsRegion: 'us-east-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: TEST_EVENT_ACTOR,
    requestParameters: null,
    responseElements: { ConsoleLogin: 'Success' },
    additionalEventData: { MobileVersion: 'No', MFAUsed: 'No', [TEST_EVENT_TAG]: true },
    eventID: id,
    eventType: 'AwsConsoleSignIn',
    recipientAccountId: '000000000000',
  };
  return {
    bytes: json({ Records: [record] }),
    expectedRule: 'Console Login Without MFA',
    description: 'a CloudTrail log record: an IAM user signed in to the console without MFA',
  };
}

/** A repository made public: "Private Repository Becoming Public" (CRITICAL). */
function github(_: SampleContext): TestEventSample {
  const owner = { login: TEST_EVENT_ACTOR, type: 'Organization' };
  return {
    bytes: json({
      action: 'publicized',
      repository: {
        name: 'test-repository',
        full_name: `${TEST_EVENT_ACTOR}/test-repository`,
        private: false,
        // Not github.com: nobody's real repository.
        html_url: `https://github.invalid/${TEST_EVENT_ACTOR}/test-repository`,
        owner,
      },
      organization: { login: TEST_EVENT_ACTOR },
      sender: { login: TEST_EVENT_ACTOR, type: 'User' },
    }),
    eventType: 'repository',
    expectedRule: 'Private Repository Becoming Public',
    description: `a GitHub "repository" webhook: ${TEST_EVENT_ACTOR}/test-repository made public`,
  };
}

/** Falco's time prefix of an output line (`HH:MM:SS.nnnnnnnnn`), from epoch nanoseconds. */
function falcoClock(ns: bigint): string {
  const d = new Date(Number(ns / 1_000_000n));
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${d.toISOString().slice(11, 19)}.${frac}`;
}

/**
 * An alert as Falco's http_output sends it (json_output: true), written as text so that
 * `evt.time` is the 19-digit integer Falco writes: the test also shows it arrives exact.
 */
function falco({ id, now, sourceName }: SampleContext): TestEventSample {
  // Nanoseconds below the millisecond, as a real clock has them.
  const ns = BigInt(now) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  const iso = `${new Date(now).toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
  const rule = 'Peregrine test event';
  const output = `${falcoClock(ns)}: Notice ${rule}: sent from the console through the Falco source ${JSON.stringify(sourceName)} (proc.name=${TEST_EVENT_ACTOR} user.name=peregrine)`;
  const fields = `{"evt.time":${ns.toString()},"proc.name":${JSON.stringify(TEST_EVENT_ACTOR)},"user.name":"peregrine"}`;
  const text =
    `{"uuid":${JSON.stringify(id)},"time":${JSON.stringify(iso)},"rule":${JSON.stringify(rule)},` +
    `"priority":"Notice","output":${JSON.stringify(output)},"output_fields":${fields},"source":"syscall",` +
    `"tags":[${JSON.stringify(TEST_EVENT_TAG)}],"hostname":${JSON.stringify(TEST_EVENT_ACTOR)}}`;
  return {
    bytes: Buffer.from(text, 'utf8'),
    expectedRule: rule,
    description: 'a Falco http_output alert (Falco alerts are stored as they are, not evaluated again)',
  };
}

/** No ingest module reads `gcp_auditlog` sources yet: they have no test event either. */
const SAMPLES: Partial<Record<SourceKind, (context: SampleContext) => TestEventSample>> = {
  k8s_audit: k8sAudit,
  okta,
  aws_cloudtrail: cloudTrail,
  github,
  falco,
};

/**
 * A sensor's test event: a version-1 batch (`POST /v1/sensor/events` body) with one read of
 * `/etc/shadow` by a process named `peregrine-test-event` on the sensor's host: "Sensitive File
 * Opened for Reading" (WARNING). It shows the collector, the rules and the console working for the
 * sensor's environment; it does not exercise the sensor's capture on the host.
 */
export function sensorTestEventSample({
  id,
  now,
  sensorName,
  hostname,
}: {
  id: string;
  now: number;
  sensorName: string;
  hostname: string;
}): TestEventSample {
  const ts = (BigInt(now) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)).toString();
  const event = {
    ts,
    type: 'openat',
    dir: '<',
    res: 5,
    args: [
      ['fd', '5'],
      ['dirfd', 'AT_FDCWD'],
      ['name', '/etc/shadow'],
      ['flags', 'O_RDONLY'],
      ['mode', '0'],
    ],
    hostname,
    proc: {
      pid: 4242,
      ppid: 1,
      name: TEST_EVENT_ACTOR,
      exe: `/usr/local/bin/${TEST_EVENT_ACTOR}`,
      args: ['/etc/shadow'],
      uid: 0,
      user: 'root',
    },
    fd: { num: 5, type: 'file', name: '/etc/shadow', openFlags: 'O_RDONLY' },
  };
  return {
    bytes: json({ sensorId: sensorName, batchId: `${TEST_EVENT_TAG}-${id}`, seq: 0, events: [event] }),
    expectedRule: 'Sensitive File Opened for Reading',
    description: `a sensor event: ${TEST_EVENT_ACTOR} read /etc/shadow on ${hostname} (made by the collector, not captured on the host)`,
  };
}

/** The sample for a source kind; undefined for a kind without one. */
export function testEventSample(kind: SourceKind, context: SampleContext): TestEventSample | undefined {
  return SAMPLES[kind]?.(context);
}
