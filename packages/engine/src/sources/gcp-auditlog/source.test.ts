import { describe, expect, it } from 'vitest';
import type { Extracted } from '../../fields/types.js';
import { createGcpAuditlogSource } from './source.js';

const src = createGcpAuditlogSource();
const get = (ev: unknown, name: string, arg?: string): Extracted => src.bind(name, arg).extract(ev);

const setIam = {
  insertId: 'abc123',
  logName: 'projects/demo/logs/cloudaudit.googleapis.com%2Factivity',
  protoPayload: {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    serviceName: 'storage.googleapis.com',
    methodName: 'storage.setIamPermissions',
    resourceName: 'projects/_/buckets/public-data',
    authenticationInfo: { principalEmail: 'eve@example.com' },
    requestMetadata: { callerIp: '203.0.113.9', callerSuppliedUserAgent: 'gcloud/450.0' },
    authorizationInfo: [{ permission: 'storage.buckets.setIamPolicy', granted: true }],
    serviceData: {
      policyDelta: {
        bindingDeltas: [{ action: 'ADD', role: 'roles/storage.objectViewer', member: 'allUsers' }],
      },
    },
    request: { policy: {} },
  },
  resource: {
    type: 'gcs_bucket',
    labels: { project_id: 'demo', bucket_name: 'public-data', location: 'us' },
  },
  timestamp: '2024-02-01T12:00:00.000001Z',
  severity: 'NOTICE',
};

describe('gcp_auditlog', () => {
  it('reads the LogEntry', () => {
    expect(get(setIam, 'gcp.user')).toBe('eve@example.com');
    expect(get(setIam, 'gcp.callerIP')).toBe('203.0.113.9');
    expect(get(setIam, 'gcp.serviceName')).toBe('storage.googleapis.com');
    expect(get(setIam, 'gcp.methodName')).toBe('storage.setIamPermissions');
    expect(get(setIam, 'gcp.storage.bucket')).toBe('public-data');
    expect(get(setIam, 'gcp.projectId')).toBe('demo');
    expect(get(setIam, 'gcp.location')).toBe('us');
    expect(get(setIam, 'gcp.resourceType')).toBe('gcs_bucket');
    expect(get(setIam, 'gcp.time')).toBe('2024-02-01T12:00:00.000001Z');
    expect(get(setIam, 'gcp.resourceLabels')).toBe(
      '{"project_id":"demo","bucket_name":"public-data","location":"us"}',
    );
  });

  it('renders the JSON-valued fields as compact JSON (so the public-binding macro can match)', () => {
    const delta = get(setIam, 'gcp.policyDelta') as string;
    expect(delta).toContain('"action":"ADD"');
    expect(delta).toContain('allUsers');
    expect(get(setIam, 'gcp.authorizationInfo')).toBe(
      '[{"permission":"storage.buckets.setIamPolicy","granted":true}]',
    );
    expect(get(setIam, 'gcp.request')).toBe('{"policy":{}}');
  });

  it('location from a zone drops the zone suffix; logging sinks only on sink resources', () => {
    const vm = {
      ...setIam,
      resource: { type: 'gce_instance', labels: { zone: 'us-central1-a', instance_id: '42' } },
    };
    expect(get(vm, 'gcp.location')).toBe('us-central1');
    expect(get(vm, 'gcp.compute.instanceId')).toBe('42');
    expect(get(vm, 'gcp.logging.sink')).toBeUndefined();
    expect(get(vm, 'gcp.storage.bucket')).toBeUndefined();
    const sink = { ...setIam, resource: { type: 'logging_sink', labels: { name: 'exfil' } } };
    expect(get(sink, 'gcp.logging.sink')).toBe('exfil');
  });

  it('non-string values of string fields give "" and stay present', () => {
    const odd = { ...setIam, protoPayload: { ...setIam.protoPayload, methodName: 12 } };
    expect(get(odd, 'gcp.methodName')).toBe('');
  });

  it('json pointers into the LogEntry', () => {
    expect(get(setIam, 'json.value', '/resource/labels/bucket_name')).toBe('public-data');
    expect(get(setIam, 'json.value', '/protoPayload/@type')).toBe(
      'type.googleapis.com/google.cloud.audit.AuditLog',
    );
    expect(get(setIam, 'evt.rawtime')).toBe(1706788800000001000n);
  });
});
