/**
 * Peregrine's default rules (packages/engine/rules): they load without errors, and each rule
 * fires on an event written for it and stays quiet on a close benign neighbour.
 */
// biome-ignore lint/style/noRestrictedImports: tests read the rule files from disk
import { readdirSync, readFileSync } from 'node:fs';
// biome-ignore lint/style/noRestrictedImports: tests read the rule files from disk
import { dirname, resolve } from 'node:path';
// biome-ignore lint/style/noRestrictedImports: tests read the rule files from disk
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ProcessInfo, SyscallEvent } from '../events/syscall-event.js';
import { DEFAULT_RULE_FILES } from './default-rule-files.js';
import { builtinSources } from './default-sources.js';
import { load } from './load.js';

const RULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../rules');
const files = DEFAULT_RULE_FILES.map((name) => ({
  name,
  content: readFileSync(resolve(RULES_DIR, name), 'utf8'),
}));

const result = load(files, { sources: builtinSources(), ruleMatching: 'all', hostname: 'node-1' });
const ruleset = result.ruleset;

function fired(event: unknown, source: string): string[] {
  return ruleset.evaluate(event, source).map((a) => a.rule);
}

const runc: ProcessInfo = { pid: 900, name: 'runc', exe: 'runc', exepath: '/usr/bin/runc', args: [] };
const containerd: ProcessInfo = { pid: 800, name: 'containerd-shim', exe: 'containerd-shim', args: [] };

let seq = 0;
function sys(partial: Partial<SyscallEvent> & { type: string; proc: ProcessInfo }): SyscallEvent {
  seq++;
  return {
    source: 'syscall',
    num: seq,
    ts: String(1_760_000_000_000_000_000n + BigInt(seq)),
    dir: '<',
    res: 0,
    args: [],
    ...partial,
  };
}

const nginx = {
  id: '8e93d7f8f7aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4',
  name: 'nginx',
  image: 'docker.io/library/nginx:1.27',
  imageRepository: 'docker.io/library/nginx',
  imageTag: '1.27',
};

function proc(name: string, args: string[], extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    pid: 4321,
    name,
    exe: name,
    exepath: `/usr/bin/${name}`,
    args,
    uid: 0,
    user: 'root',
    tty: 0,
    ancestors: [runc, containerd],
    ...extra,
  };
}

describe('default rules', () => {
  it('DEFAULT_RULE_FILES lists every file of rules/', () => {
    expect([...DEFAULT_RULE_FILES].sort()).toEqual(
      readdirSync(RULES_DIR)
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    );
  });

  it('load without errors', () => {
    expect(result.files.flatMap((f) => f.errors)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  // A new user opens these first: a warning or a development note reads as a broken product.
  it.each(files)('$name loads on its own with no warning', ({ name, content }) => {
    const alone = load([{ name, content }], { sources: builtinSources(), hostname: 'node-1' });
    expect(alone.files.flatMap((f) => f.errors)).toEqual([]);
    expect(alone.diagnostics.map((d) => `${d.code} ${d.itemName ?? ''}: ${d.message}`)).toEqual([]);
  });

  it('all files together load with no warning', () => {
    expect(result.diagnostics.map((d) => `${d.code} ${d.itemName ?? ''}: ${d.message}`)).toEqual([]);
  });

  it.each(files)('$name has no comment about issues or seeds', ({ content }) => {
    const notes = content
      .split('\n')
      .map((line, i) => ({ line: i + 1, text: line.trim() }))
      .filter(
        ({ text }) => text.startsWith('#') && /\b(issues?|seed(ed|s)?|verbatim|todo|fixme)\b/i.test(text),
      );
    expect(notes).toEqual([]);
  });

  it('shell rule prints its output for a shell started by runc in a container', () => {
    const ev = sys({ type: 'execve', proc: proc('bash', []), container: nginx });
    const alerts = ruleset.evaluate(ev, 'syscall');
    const alert = alerts.find((a) => a.rule === 'shell_in_container');
    expect(alert).toBeDefined();
    expect(alert!.output.slice(alert!.output.indexOf(': ') + 2)).toBe(
      'Warning shell in a container (user=root container_id=8e93d7f8f7aa container_name=nginx shell=bash parent=runc cmdline=bash)',
    );
    expect(alert!.priority).toBe('Warning');
    expect(alert!.hostname).toBe('node-1');
    expect(alert!.output_fields['container.id']).toBe('8e93d7f8f7aa');
    // The line prefix's time in nanoseconds, exact (a float would round the last digits).
    expect(alert!.output_fields['evt.time']).toBe(BigInt(ev.ts));
    // Same shell on the host: no alert.
    expect(fired(sys({ type: 'execve', proc: proc('bash', []) }), 'syscall')).not.toContain(
      'shell_in_container',
    );
  });

  const syscallCases: { rule: string; hit: SyscallEvent; miss: SyscallEvent }[] = [
    {
      rule: 'Interactive Shell Started in Container',
      hit: sys({ type: 'execve', proc: proc('sh', ['-i'], { tty: 34816 }), container: nginx }),
      miss: sys({
        type: 'execve',
        proc: proc('sh', ['-c', 'nginx -s reload'], { tty: 0 }),
        container: nginx,
      }),
    },
    {
      rule: 'Sensitive File Opened for Reading',
      hit: sys({
        type: 'openat',
        proc: proc('python3', ['dump.py']),
        fd: { num: 5, type: 'file', name: '/etc/shadow', openFlags: 'O_RDONLY' },
        args: [
          ['fd', '5'],
          ['name', '/etc/shadow'],
          ['flags', 'O_RDONLY'],
        ],
      }),
      miss: sys({
        type: 'openat',
        proc: proc('sshd', []),
        fd: { num: 5, type: 'file', name: '/etc/shadow', openFlags: 'O_RDONLY' },
        args: [
          ['fd', '5'],
          ['name', '/etc/shadow'],
          ['flags', 'O_RDONLY'],
        ],
      }),
    },
    {
      rule: 'Write Below Binary Directory',
      hit: sys({
        type: 'openat',
        proc: proc('curl', ['-o', '/usr/bin/kubectl', 'http://x']),
        fd: { num: 6, type: 'file', name: '/usr/bin/kubectl', openFlags: 'O_WRONLY|O_CREAT|O_TRUNC' },
        args: [
          ['fd', '6'],
          ['name', '/usr/bin/kubectl'],
          ['flags', 'O_WRONLY|O_CREAT|O_TRUNC'],
        ],
      }),
      miss: sys({
        type: 'openat',
        proc: proc('dpkg', ['-i', 'kubectl.deb']),
        fd: { num: 6, type: 'file', name: '/usr/bin/kubectl', openFlags: 'O_WRONLY|O_CREAT|O_TRUNC' },
        args: [
          ['fd', '6'],
          ['name', '/usr/bin/kubectl'],
          ['flags', 'O_WRONLY|O_CREAT|O_TRUNC'],
        ],
      }),
    },
    {
      rule: 'Write Below Configuration Directory',
      hit: sys({
        type: 'open',
        proc: proc('bash', []),
        fd: { num: 3, type: 'file', name: '/etc/crontab', openFlags: 'O_WRONLY|O_APPEND' },
        args: [
          ['fd', '3'],
          ['name', '/etc/crontab'],
          ['flags', 'O_WRONLY|O_APPEND'],
        ],
      }),
      miss: sys({
        type: 'open',
        proc: proc('bash', []),
        fd: { num: 3, type: 'file', name: '/etc/resolv.conf', openFlags: 'O_WRONLY|O_APPEND' },
        args: [
          ['fd', '3'],
          ['name', '/etc/resolv.conf'],
          ['flags', 'O_WRONLY|O_APPEND'],
        ],
      }),
    },
    {
      rule: 'Crypto Miner Process Started',
      hit: sys({ type: 'execve', proc: proc('xmrig', ['-o', 'pool.example:3333']), container: nginx }),
      miss: sys({ type: 'execve', proc: proc('nginx', ['-g', 'daemon off;']), container: nginx }),
    },
    {
      rule: 'Connection to Mining Pool Port',
      hit: sys({
        type: 'connect',
        proc: proc('kworkerds', []),
        fd: {
          num: 7,
          type: 'ipv4',
          l4proto: 'tcp',
          cip: '10.0.0.5',
          cport: 40000,
          sip: '203.0.113.9',
          sport: 3333,
          name: '10.0.0.5:40000->203.0.113.9:3333',
          isClient: true,
        },
        args: [
          ['res', '0'],
          ['tuple', '10.0.0.5:40000->203.0.113.9:3333'],
          ['fd', '7'],
        ],
      }),
      miss: sys({
        type: 'connect',
        proc: proc('curl', []),
        fd: {
          num: 7,
          type: 'ipv4',
          l4proto: 'tcp',
          cip: '10.0.0.5',
          cport: 40000,
          sip: '203.0.113.9',
          sport: 443,
          name: '10.0.0.5:40000->203.0.113.9:443',
          isClient: true,
        },
        args: [
          ['res', '0'],
          ['tuple', '10.0.0.5:40000->203.0.113.9:443'],
          ['fd', '7'],
        ],
      }),
    },
    {
      rule: 'Unexpected Outbound Connection from Container',
      hit: sys({
        type: 'connect',
        proc: proc('nc', ['203.0.113.7', '4242']),
        container: nginx,
        fd: {
          num: 8,
          type: 'ipv4',
          l4proto: 'tcp',
          cip: '172.17.0.2',
          cport: 51000,
          sip: '203.0.113.7',
          sport: 4242,
          name: '172.17.0.2:51000->203.0.113.7:4242',
          isClient: true,
        },
        args: [
          ['res', '0'],
          ['tuple', '172.17.0.2:51000->203.0.113.7:4242'],
          ['fd', '8'],
        ],
      }),
      miss: sys({
        type: 'connect',
        proc: proc('nc', ['127.0.0.1', '4242']),
        container: nginx,
        fd: {
          num: 8,
          type: 'ipv4',
          l4proto: 'tcp',
          cip: '127.0.0.1',
          cport: 51000,
          sip: '127.0.0.1',
          sport: 4242,
          name: '127.0.0.1:51000->127.0.0.1:4242',
          isClient: true,
        },
        args: [
          ['res', '0'],
          ['tuple', '127.0.0.1:51000->127.0.0.1:4242'],
          ['fd', '8'],
        ],
      }),
    },
    {
      rule: 'Privilege Escalation Tool Run in Container',
      hit: sys({
        type: 'execve',
        proc: proc('sudo', ['-i'], { uid: 1000, user: 'www-data' }),
        container: nginx,
      }),
      miss: sys({ type: 'execve', proc: proc('sudo', ['-i'], { uid: 1000, user: 'www-data' }) }),
    },
    {
      rule: 'Setuid or Setgid Bit Set on File',
      hit: sys({
        type: 'chmod',
        proc: proc('chmod', ['u+s', '/tmp/sh']),
        args: [
          ['res', '0'],
          ['filename', '/tmp/sh'],
          ['mode', 'S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID'],
        ],
      }),
      miss: sys({
        type: 'chmod',
        proc: proc('chmod', ['755', '/tmp/sh']),
        args: [
          ['res', '0'],
          ['filename', '/tmp/sh'],
          ['mode', 'S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR'],
        ],
      }),
    },
  ];
  for (const c of syscallCases) {
    it(`${c.rule}: fires on its event, not on the benign one`, () => {
      expect(fired(c.hit, 'syscall')).toContain(c.rule);
      expect(fired(c.miss, 'syscall')).not.toContain(c.rule);
    });
  }

  const k8s = (over: Record<string, unknown>) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: 'a1',
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/default/pods',
    verb: 'create',
    user: { username: 'mallory', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.0.9'],
    objectRef: { resource: 'pods', namespace: 'default', name: 'web', apiVersion: 'v1' },
    responseStatus: { code: 201 },
    requestReceivedTimestamp: '2026-11-23T10:00:00.000000Z',
    stageTimestamp: '2026-11-23T10:00:00.100000Z',
    ...over,
  });
  const privilegedPod = {
    kind: 'Pod',
    metadata: { name: 'web' },
    spec: {
      containers: [
        { name: 'c', image: 'docker.io/library/busybox:1.36', securityContext: { privileged: true } },
      ],
    },
  };

  const pluginCases: { rule: string; source: string; hit: unknown; miss: unknown }[] = [
    {
      rule: 'Private Repository Becoming Public',
      source: 'github',
      hit: {
        webhook_type: 'repository',
        action: 'publicized',
        repository: { html_url: 'https://github.com/acme/secret', private: false, owner: { login: 'acme' } },
        organization: { login: 'acme' },
        sender: { login: 'eve' },
      },
      miss: {
        webhook_type: 'repository',
        action: 'privatized',
        repository: { html_url: 'https://github.com/acme/secret', private: true, owner: { login: 'acme' } },
        sender: { login: 'eve' },
      },
    },
    {
      rule: 'Secret Pushed to Repository',
      source: 'github',
      hit: {
        webhook_type: 'push',
        repository: { html_url: 'https://github.com/acme/app', owner: { login: 'acme' } },
        sender: { login: 'dev' },
        files: [{ filename: 'config.env', matches: [{ line: 3, desc: 'AWS access key' }] }],
      },
      miss: {
        webhook_type: 'push',
        repository: { html_url: 'https://github.com/acme/app', owner: { login: 'acme' } },
        sender: { login: 'dev' },
        files: [],
      },
    },
    {
      rule: 'Disallowed K8s User',
      source: 'k8s_audit',
      hit: k8s({ verb: 'get', user: { username: 'mallory' } }),
      miss: k8s({ verb: 'get', user: { username: 'kubernetes-admin' } }),
    },
    {
      rule: 'Exec or Attach into Pod',
      source: 'k8s_audit',
      hit: k8s({
        requestURI: '/api/v1/namespaces/default/pods/web/exec?command=sh&stdin=true&tty=true',
        objectRef: { resource: 'pods', subresource: 'exec', namespace: 'default', name: 'web' },
        responseStatus: { code: 101 },
      }),
      miss: k8s({
        requestURI: '/api/v1/namespaces/default/pods/web/log',
        verb: 'get',
        objectRef: { resource: 'pods', subresource: 'log', namespace: 'default', name: 'web' },
        responseStatus: { code: 200 },
      }),
    },
    {
      rule: 'Privileged Pod Created',
      source: 'k8s_audit',
      hit: k8s({ requestObject: privilegedPod, responseObject: { metadata: { name: 'web' } } }),
      miss: k8s({
        requestObject: {
          ...privilegedPod,
          spec: { containers: [{ name: 'c', image: 'docker.io/library/busybox:1.36' }] },
        },
        responseObject: { metadata: { name: 'web' } },
      }),
    },
    {
      rule: 'Detecting unknown logins using geolocation in Okta',
      source: 'okta',
      hit: {
        eventType: 'user.session.start',
        actor: { displayName: 'Eve' },
        client: { ipAddress: '198.51.100.4', geographicalContext: { country: 'atlantis' } },
        published: '2026-11-23T10:00:00.000Z',
      },
      miss: {
        eventType: 'user.session.start',
        actor: { displayName: 'Ann' },
        client: { ipAddress: '198.51.100.5', geographicalContext: { country: 'ireland' } },
        published: '2026-11-23T10:00:00.000Z',
      },
    },
    {
      rule: 'Okta MFA Configuration Changed',
      source: 'okta',
      hit: {
        eventType: 'user.mfa.factor.deactivate',
        actor: { displayName: 'Eve' },
        target: [{ type: 'User', displayName: 'Ann' }],
        outcome: { result: 'SUCCESS' },
        published: '2026-11-23T10:00:00.000Z',
      },
      miss: {
        eventType: 'user.mfa.factor.activate',
        actor: { displayName: 'Ann' },
        target: [{ type: 'User', displayName: 'Ann' }],
        outcome: { result: 'SUCCESS' },
        published: '2026-11-23T10:00:00.000Z',
      },
    },
    {
      rule: 'Execute Interactive Command inside an ECS Container',
      source: 'aws_cloudtrail',
      hit: {
        eventVersion: '1.08',
        eventSource: 'ecs.amazonaws.com',
        eventName: 'ExecuteCommand',
        awsRegion: 'eu-west-1',
        sourceIPAddress: '198.51.100.7',
        eventTime: '2026-11-23T10:00:00Z',
        userIdentity: {
          type: 'IAMUser',
          userName: 'eve',
          accountId: '111122223333',
          arn: 'arn:aws:iam::111122223333:user/eve',
        },
        requestParameters: {
          cluster: 'prod',
          container: 'app',
          command: 'python3',
          interactive: true,
          task: 't1',
        },
      },
      miss: {
        eventVersion: '1.08',
        eventSource: 'ecs.amazonaws.com',
        eventName: 'ExecuteCommand',
        awsRegion: 'eu-west-1',
        sourceIPAddress: '198.51.100.7',
        eventTime: '2026-11-23T10:00:00Z',
        userIdentity: {
          type: 'IAMUser',
          userName: 'eve',
          accountId: '111122223333',
          arn: 'arn:aws:iam::111122223333:user/eve',
        },
        requestParameters: {
          cluster: 'prod',
          container: 'app',
          command: 'python3',
          interactive: false,
          task: 't1',
        },
      },
    },
    {
      rule: 'Console Login Without MFA',
      source: 'aws_cloudtrail',
      hit: {
        eventVersion: '1.08',
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        awsRegion: 'us-east-1',
        sourceIPAddress: '198.51.100.8',
        eventTime: '2026-11-23T10:00:00Z',
        userIdentity: {
          type: 'IAMUser',
          userName: 'bob',
          accountId: '111122223333',
          arn: 'arn:aws:iam::111122223333:user/bob',
        },
        responseElements: { ConsoleLogin: 'Success' },
        additionalEventData: { MFAUsed: 'No', LoginTo: 'https://console.aws.amazon.com/' },
      },
      miss: {
        eventVersion: '1.08',
        eventSource: 'signin.amazonaws.com',
        eventName: 'ConsoleLogin',
        awsRegion: 'us-east-1',
        sourceIPAddress: '198.51.100.8',
        eventTime: '2026-11-23T10:00:00Z',
        userIdentity: {
          type: 'IAMUser',
          userName: 'bob',
          accountId: '111122223333',
          arn: 'arn:aws:iam::111122223333:user/bob',
        },
        responseElements: { ConsoleLogin: 'Success' },
        additionalEventData: { MFAUsed: 'Yes', LoginTo: 'https://console.aws.amazon.com/' },
      },
    },
    // Each CloudTrail rule below: its call, then the same call failed, or another service's call.
    ...cloudTrailCases(),
  ];
  it('alerts carry the event time and the configured hostname', () => {
    const a = ruleset.evaluate(pluginCases.find((c) => c.source === 'okta')!.hit, 'okta')[0]!;
    expect(a.time).toBe('2026-11-23T10:00:00.000000000Z');
    expect(a.hostname).toBe('node-1');
    expect(a.source).toBe('okta');
    expect(a.tags).toEqual(['mitre_defense_evasion']);
    const own = ruleset.evaluate(
      { ...sys({ type: 'execve', proc: proc('bash', []), container: nginx }), hostname: 'worker-7' },
      'syscall',
    );
    expect(own[0]!.hostname).toBe('worker-7');
  });

  for (const c of pluginCases) {
    it(`${c.rule}: fires on its event, not on the benign one`, () => {
      expect(fired(c.hit, c.source)).toContain(c.rule);
      expect(fired(c.miss, c.source)).not.toContain(c.rule);
    });
  }

  it('CloudTrail rules name the call, the trail or resource, and who made it', () => {
    const stop = cloudTrailCases().find((c) => c.rule === 'CloudTrail Trail Stopped or Deleted')!;
    const [a] = ruleset.evaluate(stop.hit, 'aws_cloudtrail');
    expect(a?.priority).toBe('Critical');
    expect(a?.message).toBe(
      'CloudTrail trail silenced by StopLogging (trail=arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail ' +
        'user=mallory type=IAMUser ip=203.0.113.9 region=eu-west-1 account=111122223333)',
    );
    const root = cloudTrailCases().find((c) => c.rule === 'AWS Root User Activity')!;
    expect(ruleset.evaluate(root.hit, 'aws_cloudtrail')[0]?.message).toBe(
      'Root user called CreateAccessKey on iam.amazonaws.com (ip=203.0.113.9 agent=aws-cli/2.15.0 ' +
        'region=eu-west-1 account=111122223333)',
    );
  });

  it('a security group listed as internet-facing may be opened to the internet', () => {
    const open = cloudTrailCases().find((c) => c.rule === 'AWS Security Group Opened to the Internet')!;
    const tuned = load(
      [
        ...files,
        {
          name: 'local.yaml',
          content:
            '- list: allowed_internet_facing_security_groups\n  items: [sg-0a1b2c]\n  override:\n    items: replace\n',
        },
      ],
      { sources: builtinSources(), ruleMatching: 'all', hostname: 'node-1' },
    );
    expect(tuned.ok).toBe(true);
    expect(fired(open.hit, 'aws_cloudtrail')).toContain(open.rule);
    expect(tuned.ruleset.evaluate(open.hit, 'aws_cloudtrail').map((a) => a.rule)).not.toContain(open.rule);
  });

  it('every default rule has a firing test', () => {
    const tested = new Set([...syscallCases, ...pluginCases].map((c) => c.rule).concat('shell_in_container'));
    expect(ruleset.rules.map((r) => r.name).filter((n) => !tested.has(n))).toEqual([]);
  });
});

describe('runtime robustness', () => {
  it('ignores non-object events and unknown sources', () => {
    for (const e of [null, 42, 'x', undefined, [], {}]) {
      expect(() => ruleset.evaluate(e, 'syscall')).not.toThrow();
    }
    expect(ruleset.evaluate({}, 'no_such_source')).toEqual([]);
  });
});

describe('event-type dispatch', () => {
  it('routes syscalls without their own event code (generic events) to their rules', () => {
    const r = load([
      {
        name: 'g.yaml',
        content:
          '- rule: ns\n  desc: d\n  condition: evt.type = fadvise64 and proc.name = nsenter\n  output: o\n  priority: INFO\n',
      },
    ]);
    const ev = sys({ type: 'fadvise64', proc: proc('nsenter', []) });
    expect(r.ruleset.evaluate(ev, 'syscall').map((a) => a.rule)).toEqual(['ns']);
    expect(r.ruleset.evaluate({ ...ev, type: 'open' }, 'syscall')).toEqual([]);
  });
});

describe('rule selection', () => {
  it('evaluates a rule enabled after load after the rules enabled at load', () => {
    const r = load([
      {
        name: 's.yaml',
        content:
          '- rule: a\n  desc: d\n  condition: evt.type = execve\n  output: a\n  priority: INFO\n  enabled: false\n- rule: b\n  desc: d\n  condition: evt.type = execve\n  output: b\n  priority: INFO\n',
      },
    ]);
    const ev = sys({ type: 'execve', proc: proc('ls', []) });
    expect(r.ruleset.evaluate(ev, 'syscall').map((x) => x.rule)).toEqual(['b']);
    const both = r.ruleset.withEnabled({ name: 'a', match: 'exact' }, true);
    expect(both.activeRules.map((x) => x.name)).toEqual(['b', 'a']);
    expect(both.evaluate(ev, 'syscall').map((x) => x.rule)).toEqual(['b']);
    expect(
      both
        .withOptions({ ruleMatching: 'all' })
        .evaluate(ev, 'syscall')
        .map((x) => x.rule),
    ).toEqual(['b', 'a']);
  });
});

describe('default rules next to upstream falco_rules.yaml', () => {
  it('share no list, macro or rule name with it, so loading both changes neither', async () => {
    const upstream = readFileSync(resolve(RULES_DIR, '../testdata/falco/rules/falco_rules.yaml'), 'utf8');
    const up = load([{ name: 'falco_rules.yaml', content: upstream }]);
    const both = load([{ name: 'falco_rules.yaml', content: upstream }, ...files]);
    expect(both.files.flatMap((f) => f.errors)).toEqual([]);
    const names = (r: typeof up) => new Set([...r.lists.map((l) => l.name), ...r.macros.map((m) => m.name)]);
    const ours = names(result);
    expect([...names(up)].filter((n) => ours.has(n))).toEqual([]);
    expect(up.ruleset.rules.filter((r) => result.ruleset.rules.some((o) => o.name === r.name))).toEqual([]);
  });
});

/** A CloudTrail record of `call` on `service` by the IAM user mallory; `extra` overrides. */
function trailRecord(service: string, call: string, extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.09',
    eventSource: service,
    eventName: call,
    eventType: 'AwsApiCall',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2.15.0',
    eventTime: '2026-11-23T10:00:00Z',
    userIdentity: {
      type: 'IAMUser',
      userName: 'mallory',
      accountId: '111122223333',
      arn: 'arn:aws:iam::111122223333:user/mallory',
    },
    requestParameters: {},
    ...extra,
  };
}

/** Hit and miss records for the CloudTrail rules of peregrine_aws_cloudtrail_rules.yaml. */
function cloudTrailCases(): { rule: string; source: string; hit: unknown; miss: unknown }[] {
  const failed = { errorCode: 'AccessDenied', errorMessage: 'not authorized' };
  const trail = { name: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail' };
  const rootUser = { type: 'Root', accountId: '111122223333', arn: 'arn:aws:iam::111122223333:root' };
  const openIngress = (cidr: Record<string, string>) => ({
    groupId: 'sg-0a1b2c',
    ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [cidr] } }] },
  });
  const c = (rule: string, hit: unknown, miss: unknown) => ({ rule, source: 'aws_cloudtrail', hit, miss });
  const ct = 'cloudtrail.amazonaws.com';
  return [
    c(
      'CloudTrail Trail Stopped or Deleted',
      trailRecord(ct, 'StopLogging', { requestParameters: trail }),
      trailRecord(ct, 'StopLogging', { requestParameters: trail, ...failed }),
    ),
    c(
      'CloudTrail Trail Stopped or Deleted',
      trailRecord(ct, 'DeleteTrail', { requestParameters: trail }),
      trailRecord(ct, 'StartLogging', { requestParameters: trail }),
    ),
    c(
      'CloudTrail Trail Reconfigured',
      trailRecord(ct, 'PutEventSelectors', {
        requestParameters: { trailName: 'org-trail', eventSelectors: [] },
      }),
      trailRecord(ct, 'GetEventSelectors', { requestParameters: { trailName: 'org-trail' } }),
    ),
    c(
      'AWS Root User Activity',
      trailRecord('iam.amazonaws.com', 'CreateAccessKey', { userIdentity: rootUser }),
      trailRecord('iam.amazonaws.com', 'CreateAccessKey'),
    ),
    c(
      'AWS Root User Activity',
      trailRecord('signin.amazonaws.com', 'ConsoleLogin', { userIdentity: rootUser }),
      trailRecord('signin.amazonaws.com', 'ConsoleLogin', {
        userIdentity: rootUser,
        eventType: 'AwsServiceEvent',
      }),
    ),
    c(
      'AWS Security Monitoring Disabled',
      trailRecord('guardduty.amazonaws.com', 'DeleteDetector', { requestParameters: { detectorId: 'd1' } }),
      // Amazon Fraud Detector has a DeleteDetector too: not a monitoring service.
      trailRecord('frauddetector.amazonaws.com', 'DeleteDetector', {
        requestParameters: { detectorId: 'd1' },
      }),
    ),
    c(
      'AWS Security Monitoring Disabled',
      trailRecord('config.amazonaws.com', 'StopConfigurationRecorder'),
      trailRecord('config.amazonaws.com', 'StopConfigurationRecorder', failed),
    ),
    c(
      'AWS Security Monitoring Disabled',
      trailRecord('ec2.amazonaws.com', 'DeleteFlowLogs'),
      trailRecord('ec2.amazonaws.com', 'CreateFlowLogs'),
    ),
    c(
      'AWS Security Monitoring Disabled',
      trailRecord('securityhub.amazonaws.com', 'DisableSecurityHub'),
      trailRecord('securityhub.amazonaws.com', 'EnableSecurityHub'),
    ),
    c(
      'AWS IAM MFA Device Removed',
      trailRecord('iam.amazonaws.com', 'DeactivateMFADevice', {
        requestParameters: { userName: 'alice', serialNumber: 'arn:aws:iam::111122223333:mfa/alice' },
      }),
      trailRecord('iam.amazonaws.com', 'EnableMFADevice', {
        requestParameters: { userName: 'alice', serialNumber: 'arn:aws:iam::111122223333:mfa/alice' },
      }),
    ),
    c(
      'AWS KMS Key Disabled or Scheduled for Deletion',
      trailRecord('kms.amazonaws.com', 'ScheduleKeyDeletion', {
        requestParameters: { keyId: 'key-1', pendingWindowInDays: 7 },
      }),
      trailRecord('kms.amazonaws.com', 'CancelKeyDeletion', { requestParameters: { keyId: 'key-1' } }),
    ),
    c(
      'S3 Public Access Block Removed',
      trailRecord('s3.amazonaws.com', 'DeleteBucketPublicAccessBlock', {
        requestParameters: { bucketName: 'payroll-exports', publicAccessBlock: '' },
      }),
      trailRecord('s3.amazonaws.com', 'PutBucketPublicAccessBlock', {
        requestParameters: { bucketName: 'payroll-exports' },
      }),
    ),
    c(
      'AWS Security Group Opened to the Internet',
      trailRecord('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', {
        requestParameters: openIngress({ cidrIp: '0.0.0.0/0' }),
      }),
      trailRecord('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', {
        requestParameters: openIngress({ cidrIp: '10.20.0.0/16' }),
      }),
    ),
    c(
      'AWS Security Group Opened to the Internet',
      trailRecord('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', {
        requestParameters: openIngress({ cidrIpv6: '::/0' }),
      }),
      trailRecord('ec2.amazonaws.com', 'RevokeSecurityGroupIngress', {
        requestParameters: openIngress({ cidrIp: '0.0.0.0/0' }),
      }),
    ),
  ];
}
