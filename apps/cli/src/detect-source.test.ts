import { describe, expect, it } from 'vitest';
import { detectSource } from './detect-source.js';

const known = new Set(['syscall', 'k8s_audit', 'aws_cloudtrail', 'github', 'okta', 'gcp_auditlog', 'json']);

describe('detectSource', () => {
  it('prefers an explicit source naming a known source', () => {
    expect(detectSource({ source: 'okta' }, known, 'syscall')).toBe('okta');
    expect(detectSource({ source: 'my-app', eventType: 'x', published: 'y' }, known, 'syscall')).toBe('okta');
  });
  it('recognises well-known payloads, also inside an envelope', () => {
    expect(detectSource({ apiVersion: 'audit.k8s.io/v1', kind: 'Event' }, known, 'syscall')).toBe(
      'k8s_audit',
    );
    expect(detectSource({ eventSource: 'iam.amazonaws.com', eventVersion: '1.08' }, known, 'syscall')).toBe(
      'aws_cloudtrail',
    );
    expect(detectSource({ webhook_type: 'push' }, known, 'syscall')).toBe('github');
    expect(detectSource({ ts: '1', payload: { protoPayload: {} } }, known, 'syscall')).toBe('gcp_auditlog');
  });
  it('falls back to the default', () => {
    expect(detectSource({ type: 'execve', proc: {} }, known, 'syscall')).toBe('syscall');
    expect(detectSource(null, known, 'json')).toBe('json');
  });
});
