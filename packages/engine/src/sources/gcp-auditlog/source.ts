import { defineSource } from '../../fields/define.js';
import { prefixedKeyTest } from '../../fields/flat.js';
import type { SourceDef } from '../../fields/types.js';
import {
  envelopeTime,
  jsonFields,
  path,
  pluginEvtFields,
  type Rec,
  rf,
  rfc3339ToNs,
} from '../plugin/common.js';

/**
 * `gcp_auditlog`: Cloud Audit Logs LogEntry JSON as Falco's gcpaudit plugin extracts it. A
 * missing path is a missing field; a present non-string gives "" (the plugin's GetStringBytes),
 * except the fields documented as JSON, which Peregrine renders as compact JSON.
 */

function gs(r: Rec, ...keys: string[]): string | undefined {
  const v = path(r, keys);
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : '';
}

function js(r: Rec, ...keys: string[]): string | undefined {
  const v = path(r, keys);
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const label = (k: string) => (r: Rec) => gs(r, 'resource', 'labels', k);
const pp =
  (...k: string[]) =>
  (r: Rec) =>
    gs(r, 'protoPayload', ...k);

function location(r: Rec): string | undefined {
  const loc = gs(r, 'resource', 'labels', 'location') ?? gs(r, 'resource', 'labels', 'region');
  if (loc !== undefined) return loc;
  const zone = gs(r, 'resource', 'labels', 'zone');
  if (zone === undefined || zone === '') return undefined;
  // A zone is its region plus `-a`: drop the last two characters.
  return zone.length > 2 ? zone.slice(0, -2) : zone;
}

const time = (r: Rec, e: Rec) =>
  envelopeTime(e, () => rfc3339ToNs(r.timestamp) ?? rfc3339ToNs(r.receiveTimestamp));

/** The `gcp_auditlog` source. */
export function createGcpAuditlogSource(): SourceDef {
  return defineSource({
    name: 'gcp_auditlog',
    description: 'GCP Cloud Audit Logs entries (Falco gcpaudit plugin fields gcp.*).',
    fields: [
      ...pluginEvtFields('gcp_auditlog', 'gcpaudit', time),
      rf('gcp.user', 'CHARBUF', 'Principal email of the caller.', pp('authenticationInfo', 'principalEmail')),
      rf('gcp.callerIP', 'CHARBUF', 'IP address of the caller.', pp('requestMetadata', 'callerIp')),
      rf(
        'gcp.userAgent',
        'CHARBUF',
        'User agent of the caller.',
        pp('requestMetadata', 'callerSuppliedUserAgent'),
      ),
      rf('gcp.authorizationInfo', 'CHARBUF', 'Authorization checks of the call, as compact JSON.', (r) =>
        js(r, 'protoPayload', 'authorizationInfo'),
      ),
      rf('gcp.serviceName', 'CHARBUF', 'API service name (compute.googleapis.com, ...).', pp('serviceName')),
      rf('gcp.policyDelta', 'CHARBUF', 'IAM policy binding changes, as compact JSON.', (r) =>
        path(r, ['resource', 'type']) === 'gcs_bucket'
          ? js(r, 'protoPayload', 'serviceData', 'policyDelta', 'bindingDeltas')
          : js(r, 'protoPayload', 'metadata', 'datasetChange', 'bindingDeltas'),
      ),
      rf('gcp.request', 'CHARBUF', 'Request of the call, as compact JSON.', (r) =>
        js(r, 'protoPayload', 'request'),
      ),
      rf('gcp.methodName', 'CHARBUF', 'API method name.', pp('methodName')),
      rf('gcp.cloudfunctions.function', 'CHARBUF', 'Cloud Function name.', label('function_name')),
      rf('gcp.cloudsql.databaseId', 'CHARBUF', 'Cloud SQL database ID.', label('database_id')),
      rf('gcp.compute.instanceId', 'CHARBUF', 'Compute instance ID.', label('instance_id')),
      rf('gcp.compute.networkId', 'CHARBUF', 'VPC network ID.', label('network_id')),
      rf('gcp.compute.subnetwork', 'CHARBUF', 'Subnetwork name.', label('subnetwork_name')),
      rf('gcp.compute.subnetworkId', 'CHARBUF', 'Subnetwork ID.', label('subnetwork_id')),
      rf('gcp.dns.zone', 'CHARBUF', 'DNS zone.', label('zone_name')),
      rf('gcp.iam.serviceAccount', 'CHARBUF', 'Service account email.', label('email_id')),
      rf('gcp.iam.serviceAccountId', 'CHARBUF', 'Service account unique ID.', label('unique_id')),
      rf(
        'gcp.location',
        'CHARBUF',
        'Location: resource location, else region, else the zone without its suffix.',
        location,
      ),
      rf('gcp.logging.sink', 'CHARBUF', 'Logging sink name (logging_sink resources only).', (r) =>
        path(r, ['resource', 'type']) === 'logging_sink' ? gs(r, 'resource', 'labels', 'name') : undefined,
      ),
      rf('gcp.projectId', 'CHARBUF', 'Project ID.', label('project_id')),
      rf('gcp.resourceName', 'CHARBUF', 'Resource name of the call.', pp('resourceName')),
      rf('gcp.resourceType', 'CHARBUF', 'Resource type (gce_instance, gcs_bucket, ...).', (r) =>
        gs(r, 'resource', 'type'),
      ),
      rf('gcp.resourceLabels', 'CHARBUF', 'Resource labels as compact JSON.', (r) =>
        js(r, 'resource', 'labels'),
      ),
      rf('gcp.storage.bucket', 'CHARBUF', 'Storage bucket name.', label('bucket_name')),
      rf('gcp.time', 'CHARBUF', 'Time of the log entry (RFC 3339).', (r) => gs(r, 'timestamp')),
      ...jsonFields(time),
    ],
    isFlat: prefixedKeyTest(['gcp.', 'jevt.', 'json.', 'evt.']),
  });
}
