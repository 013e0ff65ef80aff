import { defineSource, type FieldSpec } from '../../fields/define.js';
import { prefixedKeyTest } from '../../fields/flat.js';
import type { Extracted, SourceDef } from '../../fields/types.js';
import { isObject } from '../../fields/values.js';
import {
  envelopeTime,
  jsonFields,
  path,
  pluginEvtFields,
  type Rec,
  rf,
  rfArg,
  rfc3339ToNs,
} from '../plugin/common.js';

/**
 * `aws_cloudtrail`: CloudTrail records as Falco's cloudtrail plugin extracts them (`ct.*`,
 * `s3.*`, `ec2.*`, `ecr.*`, `iam.*`), plus the `aws.*` names Sysdig's CloudTrail rules use.
 * gs(path): missing path = missing field; a present non-string value gives "".
 */

function gs(r: Rec, ...keys: string[]): string | undefined {
  const v = path(r, keys);
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : '';
}

/** Compact JSON of a member (objects the plugin would flatten to ""); missing stays missing. */
function js(r: Rec, ...keys: string[]): string | undefined {
  const v = path(r, keys);
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A present boolean-ish key as "true"/"false"; missing key = missing field. */
function boolText(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  // Decision: AWS documents sessionCredentialFromConsole as the string "true"; accept both.
  return v === true || v === 'true' ? 'true' : 'false';
}

function user(r: Rec): string | undefined {
  switch (path(r, ['userIdentity', 'type'])) {
    case 'Root':
    case 'IAMUser':
      return gs(r, 'userIdentity', 'userName');
    case 'AWSService':
      return gs(r, 'userIdentity', 'invokedBy');
    case 'AssumedRole':
      return gs(r, 'userIdentity', 'sessionContext', 'sessionIssuer', 'userName') ?? 'AssumedRole';
    case 'AWSAccount':
      return 'AWSAccount';
    case 'FederatedUser':
      return 'FederatedUser';
    default:
      return undefined;
  }
}

function originalUser(r: Rec): string | undefined {
  if (path(r, ['userIdentity', 'type']) === 'AssumedRole') {
    const arn = path(r, ['userIdentity', 'arn']);
    if (typeof arn === 'string') {
      const parts = arn.split('/');
      if (parts.length === 3) return parts[2];
    }
    const pid = path(r, ['userIdentity', 'principalId']);
    if (typeof pid === 'string') {
      const parts = pid.split(':');
      if (parts.length === 2) return parts[1];
    }
    return undefined;
  }
  return gs(r, 'userIdentity', 'userName');
}

function accountId(r: Rec): string | undefined {
  return gs(r, 'userIdentity', 'accountId') ?? gs(r, 'recipientAccountId');
}

function shortSrc(r: Rec): string | undefined {
  const src = gs(r, 'eventSource');
  return src?.endsWith('.amazonaws.com') ? src.slice(0, -'.amazonaws.com'.length) : undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) return Math.trunc(Number(v));
  return undefined;
}

function s3Bytes(r: Rec): number | undefined {
  const i = num(path(r, ['additionalEventData', 'bytesTransferredIn']));
  const o = num(path(r, ['additionalEventData', 'bytesTransferredOut']));
  return i === undefined && o === undefined ? undefined : (i ?? 0) + (o ?? 0);
}

function s3Uri(r: Rec): string | undefined {
  const b = path(r, ['requestParameters', 'bucketName']);
  const k = path(r, ['requestParameters', 'key']);
  return typeof b === 'string' && typeof k === 'string' ? `s3://${b}/${k}` : undefined;
}

/** ct.info, as the plugin builds it (see the README for the arrows and suffixes). */
function info(r: Rec): string {
  const u = user(r);
  if (u === undefined) return '<invalid cloudtrail event: userIdentity field missing>';
  const ip = gs(r, 'sourceIPAddress');
  if (ip === undefined) return '<invalid cloudtrail event: eventSource field missing>';
  const e = gs(r, 'errorCode') !== undefined ? '!' : '';
  const rw = boolText(r.readOnly) === 'false' ? '→' : '←';
  const n = gs(r, 'eventName');
  if (n === undefined) return '<invalid cloudtrail event: eventName field missing>';
  let out = u === ip ? `${u} ${e}${rw} ${n}` : `${u} via ${ip} ${e}${rw} ${n}`;
  if (
    n === 'PutBucketPublicAccessBlock' &&
    path(r, ['requestParameters', 'PublicAccessBlockConfiguration']) !== undefined
  ) {
    const cfg = path(r, ['requestParameters', 'PublicAccessBlockConfiguration']);
    const flag = (k: string) => String(isObject(cfg) && cfg[k] === true);
    // Decision: read the flags from the configuration object (the plugin reads top-level keys and prints false).
    return `${out} BlockPublicAcls=${flag('BlockPublicAcls')} BlockPublicPolicy=${flag('BlockPublicPolicy')} IgnorePublicAcls=${flag('IgnorePublicAcls')} RestrictPublicBuckets=${flag('RestrictPublicBuckets')} `;
  }
  const size = s3Bytes(r);
  if (size !== undefined) out += ` Size=${size}`;
  const uri = s3Uri(r);
  const bucket = gs(r, 'requestParameters', 'bucketName');
  const key = gs(r, 'requestParameters', 'key');
  const host = gs(r, 'requestParameters', 'Host');
  if (uri !== undefined) out += ` URI=${uri}`;
  else if (bucket !== undefined) out += ` Bucket=${bucket}`;
  else if (key !== undefined) out += ` Key=${key}`;
  else if (host !== undefined) out += ` Host=${host}`;
  return out;
}

function pluginInfo(r: Rec): string | undefined {
  const region = gs(r, 'awsRegion');
  const src = gs(r, 'eventSource');
  const name = gs(r, 'eventName');
  if (region === undefined || src === undefined || name === undefined) return undefined;
  const u = user(r);
  return `${region}${u === undefined ? '' : ` ${u}`} ${src.replace(/\.amazonaws\.com$/, '')} ${name} ${info(r)}`;
}

function imageIds(r: Rec, index: number | undefined): Extracted {
  const items = path(r, ['responseElements', 'instancesSet', 'items']);
  if (items !== undefined) {
    if (!Array.isArray(items)) return undefined;
    if (index !== undefined) {
      const it = items[index];
      const id = isObject(it) ? it.imageId : undefined;
      return typeof id === 'string' ? [id] : undefined;
    }
    const ids = items
      .map((it) => (isObject(it) ? it.imageId : undefined))
      .filter((v): v is string => typeof v === 'string' && v !== '');
    return ids.length > 0 ? ids : undefined;
  }
  if (index !== undefined && index !== 0) return undefined;
  for (const p of [
    ['requestParameters', 'imageId'],
    ['requestParameters', 'DescribeFastLaunchImagesRequest', 'ImageId', 'content'],
    ['requestParameters', 'launchSpecification', 'imageId'],
  ]) {
    const v = path(r, p);
    if (v !== undefined) return [typeof v === 'string' ? v : ''];
  }
  return undefined;
}

function ec2Name(r: Rec): string | undefined {
  const items = path(r, ['requestParameters', 'tagSpecificationSet', 'items']);
  if (!Array.isArray(items)) return undefined;
  let name = '';
  for (const it of items) {
    if (!isObject(it) || it.resourceType !== 'instance') continue;
    const tags = path(it, ['tags']);
    if (!Array.isArray(tags)) continue;
    const tag = tags.find((t) => isObject(t) && t.key === 'Name');
    if (isObject(tag) && typeof tag.value === 'string') name = tag.value;
  }
  return name === '' ? undefined : name;
}

const req = (key: string) => (r: Rec) => gs(r, 'requestParameters', key);
const time = (r: Rec, e: Rec) => envelopeTime(e, () => rfc3339ToNs(r.eventTime));

const CT_FIELDS: FieldSpec[] = [
  rf('ct.id', 'CHARBUF', 'Unique event ID (eventID).', (r) => gs(r, 'eventID')),
  rf('ct.error', 'CHARBUF', 'Error code of a failed call (errorCode); missing on success.', (r) =>
    gs(r, 'errorCode'),
  ),
  rf('ct.errormessage', 'CHARBUF', 'Error message of a failed call.', (r) => gs(r, 'errorMessage')),
  rf('ct.time', 'CHARBUF', 'Event time (eventTime, RFC 3339).', (r) => gs(r, 'eventTime'), { hidden: true }),
  rf(
    'ct.src',
    'CHARBUF',
    'Service of the call (eventSource, e.g. ec2.amazonaws.com).',
    (r) => gs(r, 'eventSource'),
    { recordPath: ['eventSource'] },
  ),
  rf(
    'ct.shortsrc',
    'CHARBUF',
    'eventSource without .amazonaws.com; missing when it has no such suffix.',
    shortSrc,
  ),
  rf('ct.name', 'CHARBUF', 'API call name (eventName).', (r) => gs(r, 'eventName'), {
    recordPath: ['eventName'],
  }),
  rf('ct.user', 'CHARBUF', 'User of the call, by identity type (user name, role name, service, ...).', user),
  rf(
    'ct.originaluser',
    'CHARBUF',
    'Original user: the session name for assumed roles, else the user name.',
    originalUser,
  ),
  rf('ct.user.accountid', 'CHARBUF', 'Account ID of the user (recipientAccountId when absent).', accountId),
  rf('ct.user.identitytype', 'CHARBUF', 'Identity type (Root, IAMUser, AssumedRole, AWSService, ...).', (r) =>
    gs(r, 'userIdentity', 'type'),
  ),
  rf('ct.user.principalid', 'CHARBUF', 'Principal ID of the user.', (r) =>
    gs(r, 'userIdentity', 'principalId'),
  ),
  rf('ct.user.arn', 'CHARBUF', 'ARN of the user.', (r) => gs(r, 'userIdentity', 'arn')),
  rf('ct.region', 'CHARBUF', 'AWS region of the call (awsRegion).', (r) => gs(r, 'awsRegion')),
  rf('ct.response.subnetid', 'CHARBUF', 'responseElements.subnetId.', (r) =>
    gs(r, 'responseElements', 'subnetId'),
  ),
  rf('ct.response.reservationid', 'CHARBUF', 'responseElements.reservationId.', (r) =>
    gs(r, 'responseElements', 'reservationId'),
  ),
  rf('ct.response', 'CHARBUF', 'responseElements as compact JSON.', (r) =>
    r.responseElements === undefined ? undefined : JSON.stringify(r.responseElements),
  ),
  rf(
    'ct.request.availabilityzone',
    'CHARBUF',
    'requestParameters.availabilityZone.',
    req('availabilityZone'),
  ),
  rf('ct.request.cluster', 'CHARBUF', 'requestParameters.cluster.', req('cluster')),
  rf('ct.request.functionname', 'CHARBUF', 'requestParameters.functionName.', req('functionName')),
  rf('ct.request.groupname', 'CHARBUF', 'requestParameters.groupName.', req('groupName')),
  rf('ct.request.host', 'CHARBUF', 'requestParameters.Host (S3 requests).', req('Host')),
  rf('ct.request.name', 'CHARBUF', 'requestParameters.name.', req('name')),
  rf('ct.request.policy', 'CHARBUF', 'requestParameters.policy.', req('policy')),
  rf('ct.request.reason', 'CHARBUF', 'requestParameters.reason.', req('reason')),
  rf('ct.request.target', 'CHARBUF', 'requestParameters.target.', req('target')),
  rf(
    'ct.request.documentname',
    'CHARBUF',
    'requestParameters.documentName (the plugin never fills it; Peregrine does).',
    req('documentName'),
  ),
  rf('ct.request.serialnumber', 'CHARBUF', 'requestParameters.serialNumber.', req('serialNumber')),
  rf('ct.request.servicename', 'CHARBUF', 'requestParameters.serviceName.', req('serviceName')),
  rf('ct.request.subnetid', 'CHARBUF', 'requestParameters.subnetId.', req('subnetId')),
  rf('ct.request.taskdefinition', 'CHARBUF', 'requestParameters.taskDefinition.', req('taskDefinition')),
  rf('ct.request.username', 'CHARBUF', 'requestParameters.userName.', req('userName')),
  rf('ct.request', 'CHARBUF', 'requestParameters as compact JSON.', (r) =>
    r.requestParameters === undefined ? undefined : JSON.stringify(r.requestParameters),
  ),
  rf('ct.srcip', 'CHARBUF', 'Source IP of the call (sourceIPAddress; may be a service name).', (r) =>
    gs(r, 'sourceIPAddress'),
  ),
  rf('ct.useragent', 'CHARBUF', 'User agent of the call.', (r) => gs(r, 'userAgent')),
  rf('ct.info', 'CHARBUF', 'One-line summary: user, source IP, read/write arrow, call, S3 details.', info),
  rf(
    'ct.managementevent',
    'CHARBUF',
    '"true" for management events, "false" otherwise; missing without the key.',
    (r) => boolText(r.managementEvent),
  ),
  rf(
    'ct.readonly',
    'CHARBUF',
    '"true" for read-only calls, "false" otherwise; missing without the key.',
    (r) => boolText(r.readOnly),
  ),
  rf('ct.requestid', 'CHARBUF', 'Request ID.', (r) => gs(r, 'requestID')),
  rf('ct.eventtype', 'CHARBUF', 'Event type (AwsApiCall, AwsConsoleSignIn, ...).', (r) => gs(r, 'eventType')),
  rf('ct.apiversion', 'CHARBUF', 'API version.', (r) => gs(r, 'apiVersion')),
  rf('ct.resources', 'CHARBUF', 'Resources of the call, each as compact JSON, comma-separated.', (r) => {
    const res = r.resources;
    return Array.isArray(res) && res.length > 0 ? res.map((x) => JSON.stringify(x)).join(',') : undefined;
  }),
  rf('ct.recipientaccountid', 'CHARBUF', 'Account that received the event.', (r) =>
    gs(r, 'recipientAccountId'),
  ),
  rf('ct.serviceeventdetails', 'CHARBUF', 'serviceEventDetails as compact JSON.', (r) =>
    js(r, 'serviceEventDetails'),
  ),
  rf('ct.sharedeventid', 'CHARBUF', 'Shared event ID.', (r) => gs(r, 'sharedEventID')),
  rf('ct.vpcendpointid', 'CHARBUF', 'VPC endpoint ID.', (r) => gs(r, 'vpcEndpointId')),
  rf('ct.eventcategory', 'CHARBUF', 'Event category (Management, Data, Insight).', (r) =>
    gs(r, 'eventCategory'),
  ),
  rf('ct.addendum.reason', 'CHARBUF', 'addendum.reason.', (r) => gs(r, 'addendum', 'reason')),
  rf('ct.addendum.updatedfields', 'CHARBUF', 'addendum.updatedFields.', (r) =>
    gs(r, 'addendum', 'updatedFields'),
  ),
  rf('ct.addendum.originalrequestid', 'CHARBUF', 'addendum.originalRequestID.', (r) =>
    gs(r, 'addendum', 'originalRequestID'),
  ),
  rf('ct.addendum.originaleventid', 'CHARBUF', 'addendum.originalEventID.', (r) =>
    gs(r, 'addendum', 'originalEventID'),
  ),
  rf(
    'ct.sessioncredentialfromconsole',
    'CHARBUF',
    '"true" when the session credentials come from the console.',
    (r) => boolText(r.sessionCredentialFromConsole),
  ),
  rf('ct.edgedevicedetails', 'CHARBUF', 'edgeDeviceDetails as compact JSON.', (r) =>
    js(r, 'edgeDeviceDetails'),
  ),
  rf('ct.tlsdetails.tlsversion', 'CHARBUF', 'TLS version of the call.', (r) =>
    gs(r, 'tlsDetails', 'tlsVersion'),
  ),
  rf('ct.tlsdetails.ciphersuite', 'CHARBUF', 'TLS cipher suite of the call.', (r) =>
    gs(r, 'tlsDetails', 'cipherSuite'),
  ),
  rf('ct.tlsdetails.clientprovidedhostheader', 'CHARBUF', 'Host header the client sent.', (r) =>
    gs(r, 'tlsDetails', 'clientProvidedHostHeader'),
  ),
  rf('ct.additionaleventdata', 'CHARBUF', 'additionalEventData as compact JSON.', (r) =>
    r.additionalEventData === undefined ? undefined : JSON.stringify(r.additionalEventData),
  ),
  rf('s3.uri', 'CHARBUF', 's3://bucket/key of S3 data events.', s3Uri),
  rf('s3.bucket', 'CHARBUF', 'Bucket name (requestParameters.bucketName).', req('bucketName')),
  rf('s3.key', 'CHARBUF', 'Object key (requestParameters.key).', req('key')),
  rf('s3.bytes', 'UINT64', 'Bytes transferred in plus out.', s3Bytes),
  rf('s3.bytes.in', 'UINT64', 'Bytes transferred in.', (r) =>
    num(path(r, ['additionalEventData', 'bytesTransferredIn'])),
  ),
  rf('s3.bytes.out', 'UINT64', 'Bytes transferred out.', (r) =>
    num(path(r, ['additionalEventData', 'bytesTransferredOut'])),
  ),
  rf('s3.cnt.get', 'UINT64', '1 for GetObject calls; missing otherwise.', (r) =>
    r.eventName === 'GetObject' ? 1 : undefined,
  ),
  rf('s3.cnt.put', 'UINT64', '1 for PutObject calls; missing otherwise.', (r) =>
    r.eventName === 'PutObject' ? 1 : undefined,
  ),
  rf('s3.cnt.other', 'UINT64', '1 for calls other than GetObject/PutObject; missing otherwise.', (r) =>
    r.eventName !== 'GetObject' && r.eventName !== 'PutObject' ? 1 : undefined,
  ),
  rf('ec2.name', 'CHARBUF', 'Name tag of the instance being created.', ec2Name),
  rfArg(
    'ec2.imageids',
    'CHARBUF',
    'AMI IDs of the instances of the call.',
    { kind: 'index', required: false },
    'instance index',
    (arg) => {
      const i = arg === undefined ? undefined : Number(arg);
      return (r) => imageIds(r, i);
    },
    { list: true },
  ),
  rf(
    'ec2.imageid',
    'CHARBUF',
    'Deprecated: ec2.imageids[0].',
    (r) => {
      const v = imageIds(r, 0);
      return Array.isArray(v) ? (v[0] as string) : undefined;
    },
    { hidden: true },
  ),
  rf('ecr.repository', 'CHARBUF', 'ECR repository name.', req('repositoryName')),
  rf('ecr.imagetag', 'CHARBUF', 'ECR image tag.', req('imageTag')),
  rf('iam.role', 'CHARBUF', 'IAM role name (requestParameters.roleName).', req('roleName')),
  rf('iam.policy', 'CHARBUF', 'IAM policy name (requestParameters.policyName).', req('policyName')),
];

/** Field names of Sysdig Secure's CloudTrail rules, mapped onto the same record. */
const AWS_FIELDS: FieldSpec[] = [
  rf('aws.eventSource', 'CHARBUF', 'Service of the call (eventSource), as ct.src.', (r) =>
    gs(r, 'eventSource'),
  ),
  rf('aws.eventName', 'CHARBUF', 'API call name (eventName), as ct.name.', (r) => gs(r, 'eventName')),
  rf('aws.eventID', 'CHARBUF', 'Event ID, as ct.id.', (r) => gs(r, 'eventID')),
  rf('aws.eventTime', 'CHARBUF', 'Event time (RFC 3339).', (r) => gs(r, 'eventTime')),
  rf('aws.eventType', 'CHARBUF', 'Event type, as ct.eventtype.', (r) => gs(r, 'eventType')),
  rf('aws.eventCategory', 'CHARBUF', 'Event category, as ct.eventcategory.', (r) => gs(r, 'eventCategory')),
  rf('aws.user', 'CHARBUF', 'User of the call, as ct.user.', user),
  rf('aws.userType', 'CHARBUF', 'Identity type, as ct.user.identitytype.', (r) =>
    gs(r, 'userIdentity', 'type'),
  ),
  rf('aws.userArn', 'CHARBUF', 'ARN of the user, as ct.user.arn.', (r) => gs(r, 'userIdentity', 'arn')),
  rf('aws.userIdentity', 'CHARBUF', 'userIdentity as compact JSON.', (r) => js(r, 'userIdentity')),
  rf('aws.sourceIP', 'CHARBUF', 'Source IP, as ct.srcip.', (r) => gs(r, 'sourceIPAddress')),
  rf('aws.region', 'CHARBUF', 'AWS region, as ct.region.', (r) => gs(r, 'awsRegion')),
  rf('aws.errorCode', 'CHARBUF', 'Error code, as ct.error.', (r) => gs(r, 'errorCode')),
  rf('aws.errorMessage', 'CHARBUF', 'Error message, as ct.errormessage.', (r) => gs(r, 'errorMessage')),
  rf('aws.accountId', 'CHARBUF', 'Account ID of the user, as ct.user.accountid.', accountId),
  rf('aws.recipientAccountId', 'CHARBUF', 'Recipient account ID.', (r) => gs(r, 'recipientAccountId')),
  rf('aws.userAgent', 'CHARBUF', 'User agent, as ct.useragent.', (r) => gs(r, 'userAgent')),
  rf('aws.requestID', 'CHARBUF', 'Request ID.', (r) => gs(r, 'requestID')),
  rf('aws.readOnly', 'CHARBUF', 'Read-only flag, as ct.readonly.', (r) => boolText(r.readOnly)),
  rf('aws.managementEvent', 'CHARBUF', 'Management-event flag, as ct.managementevent.', (r) =>
    boolText(r.managementEvent),
  ),
  rf('aws.requestParameters', 'CHARBUF', 'requestParameters as compact JSON.', (r) =>
    js(r, 'requestParameters'),
  ),
  rf('aws.responseElements', 'CHARBUF', 'responseElements as compact JSON.', (r) =>
    js(r, 'responseElements'),
  ),
  rf('aws.additionalEventData', 'CHARBUF', 'additionalEventData as compact JSON.', (r) =>
    js(r, 'additionalEventData'),
  ),
  rf('aws.resources', 'CHARBUF', 'resources as compact JSON.', (r) => js(r, 'resources')),
];

/** The `aws_cloudtrail` source. */
export function createAwsCloudtrailSource(): SourceDef {
  return defineSource({
    name: 'aws_cloudtrail',
    description:
      'AWS CloudTrail records (Falco cloudtrail plugin fields ct.*, s3.*, ec2.*, iam.*; Sysdig aws.* names).',
    fields: [
      ...pluginEvtFields('aws_cloudtrail', 'cloudtrail', time, pluginInfo),
      ...CT_FIELDS,
      ...AWS_FIELDS,
      ...jsonFields(time),
    ],
    isFlat: prefixedKeyTest(['ct.', 's3.', 'ec2.', 'ecr.', 'iam.', 'aws.', 'jevt.', 'json.', 'evt.']),
  });
}
