import { describe, expect, it } from 'vitest';
import type { Extracted } from '../../fields/types.js';
import { createAwsCloudtrailSource } from './source.js';

const src = createAwsCloudtrailSource();
const get = (ev: unknown, name: string, arg?: string): Extracted => src.bind(name, arg).extract(ev);

/** The `alice_start_instances.json` shape of the plugin's samples. */
const startInstances = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLE',
    arn: 'arn:aws:iam::123456789012:user/Alice',
    accountId: '123456789012',
    accessKeyId: 'AKIAEXAMPLE',
    userName: 'Alice',
  },
  eventTime: '2021-03-30T18:07:17Z',
  eventSource: 'ec2.amazonaws.com',
  eventName: 'StartInstances',
  awsRegion: 'us-east-2',
  sourceIPAddress: '205.251.233.176',
  userAgent: 'ec2-api-tools 1.10.0.0',
  requestParameters: { instancesSet: { items: [{ instanceId: 'i-1234567890abcdef0' }] } },
  responseElements: {
    instancesSet: {
      items: [{ instanceId: 'i-1234567890abcdef0', currentState: { code: 0, name: 'pending' } }],
    },
  },
  requestID: 'req-1',
  eventID: 'ev-1',
  eventType: 'AwsApiCall',
  recipientAccountId: '123456789012',
};

const assumedRole = {
  eventVersion: '1.08',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLE:session-bob',
    arn: 'arn:aws:sts::123456789012:assumed-role/Admin/session-bob',
    accountId: '123456789012',
    sessionContext: {
      sessionIssuer: { type: 'Role', userName: 'Admin', arn: 'arn:aws:iam::123456789012:role/Admin' },
    },
  },
  eventTime: '2024-05-01T10:00:00.5Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '198.51.100.4',
  userAgent: 'aws-cli/2.15',
  errorCode: 'AccessDenied',
  errorMessage: 'Access Denied',
  requestParameters: { bucketName: 'secret-bucket', key: 'dump.sql', Host: 'secret-bucket.s3.amazonaws.com' },
  additionalEventData: { bytesTransferredIn: 0, bytesTransferredOut: 1024.0 },
  readOnly: true,
  managementEvent: false,
  resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::secret-bucket/dump.sql' }],
  eventType: 'AwsApiCall',
  sessionCredentialFromConsole: 'true',
};

describe('aws_cloudtrail: ct.*', () => {
  it('reads the worked example of the spec', () => {
    expect(get(startInstances, 'ct.user')).toBe('Alice');
    expect(get(startInstances, 'ct.name')).toBe('StartInstances');
    expect(get(startInstances, 'ct.src')).toBe('ec2.amazonaws.com');
    expect(get(startInstances, 'ct.shortsrc')).toBe('ec2');
    expect(get(startInstances, 'ct.region')).toBe('us-east-2');
    expect(get(startInstances, 'ct.srcip')).toBe('205.251.233.176');
    expect(get(startInstances, 'ct.info')).toBe('Alice via 205.251.233.176 ← StartInstances');
    expect(get(startInstances, 'ct.readonly')).toBeUndefined();
    expect(get(startInstances, 'ec2.imageids')).toBeUndefined();
    expect(get(startInstances, 'evt.plugininfo')).toBe(
      'us-east-2 Alice ec2 StartInstances Alice via 205.251.233.176 ← StartInstances',
    );
    expect(get(startInstances, 'ct.error')).toBeUndefined();
    expect(get(startInstances, 'ct.user.accountid')).toBe('123456789012');
    expect(get(startInstances, 'ct.originaluser')).toBe('Alice');
  });

  it('assumed roles, errors and S3 data events', () => {
    expect(get(assumedRole, 'ct.user')).toBe('Admin');
    expect(get(assumedRole, 'ct.originaluser')).toBe('session-bob');
    expect(get(assumedRole, 'ct.user.identitytype')).toBe('AssumedRole');
    expect(get(assumedRole, 'ct.error')).toBe('AccessDenied');
    expect(get(assumedRole, 'ct.readonly')).toBe('true');
    expect(get(assumedRole, 'ct.managementevent')).toBe('false');
    expect(get(assumedRole, 'ct.sessioncredentialfromconsole')).toBe('true');
    expect(get(assumedRole, 's3.bucket')).toBe('secret-bucket');
    expect(get(assumedRole, 's3.uri')).toBe('s3://secret-bucket/dump.sql');
    expect(get(assumedRole, 's3.bytes')).toBe(1024);
    expect(get(assumedRole, 's3.bytes.out')).toBe(1024);
    expect(get(assumedRole, 's3.cnt.get')).toBe(1);
    expect(get(assumedRole, 's3.cnt.put')).toBeUndefined();
    expect(get(assumedRole, 'ct.request.host')).toBe('secret-bucket.s3.amazonaws.com');
    expect(get(assumedRole, 'ct.resources')).toBe(
      '{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::secret-bucket/dump.sql"}',
    );
    expect(get(assumedRole, 'ct.info')).toBe(
      'Admin via 198.51.100.4 !← GetObject Size=1024 URI=s3://secret-bucket/dump.sql',
    );
    expect(src.field('s3.bytes')?.type).toBe('UINT64');
  });

  it('gs semantics: missing path is missing, a non-string value is ""', () => {
    expect(() => src.bind('ct.request.bucketname', undefined)).toThrow(/nonexistent field/);
    expect(get({ ...startInstances, errorCode: 42 }, 'ct.error')).toBe('');
    expect(get(startInstances, 'ct.response.subnetid')).toBeUndefined();
  });

  it('ec2 images and names', () => {
    const run = {
      ...startInstances,
      eventName: 'RunInstances',
      requestParameters: {
        instancesSet: { items: [{ imageId: 'ami-req' }] },
        tagSpecificationSet: {
          items: [{ resourceType: 'instance', tags: [{ key: 'Name', value: 'miner-01' }] }],
        },
      },
      responseElements: {
        instancesSet: { items: [{ imageId: 'ami-1' }, { imageId: '' }, { imageId: 'ami-2' }] },
      },
    };
    expect(get(run, 'ec2.imageids')).toEqual(['ami-1', 'ami-2']);
    expect(get(run, 'ec2.imageids', '1')).toEqual(['']);
    expect(get(run, 'ec2.imageid')).toBe('ami-1');
    expect(get(run, 'ec2.name')).toBe('miner-01');
  });

  it('aws.* names and json pointers', () => {
    expect(get(assumedRole, 'aws.eventSource')).toBe('s3.amazonaws.com');
    expect(get(assumedRole, 'aws.eventName')).toBe('GetObject');
    expect(get(assumedRole, 'aws.user')).toBe('Admin');
    expect(get(assumedRole, 'aws.sourceIP')).toBe('198.51.100.4');
    expect(get(assumedRole, 'aws.region')).toBe('eu-west-1');
    expect(get(assumedRole, 'aws.errorCode')).toBe('AccessDenied');
    expect(get(assumedRole, 'aws.accountId')).toBe('123456789012');
    expect(get(assumedRole, 'aws.userAgent')).toBe('aws-cli/2.15');
    expect(get(assumedRole, 'jevt.value', '/requestParameters/key')).toBe('dump.sql');
    expect(get(assumedRole, 'json.value', '/readOnly')).toBe('true');
    expect(get(assumedRole, 'json.rawtime')).toBe('1714557600500000000');
  });

  it('flat maps keyed by ct.*/aws.* names', () => {
    expect(get({ 'ct.name': 'ConsoleLogin', 'aws.region': 'us-east-1' }, 'ct.name')).toBe('ConsoleLogin');
    expect(get({ 'ct.name': 'ConsoleLogin', 'aws.region': 'us-east-1' }, 'aws.region')).toBe('us-east-1');
    expect(get({ 'ct.name': 'ConsoleLogin' }, 'ct.error')).toBeUndefined();
  });
});
