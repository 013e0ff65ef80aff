import { describe, expect, it } from 'vitest';
import { falcoHttpOutputConfig, k8sWebhookConfig, sourceConnection } from './source-connection';

const ID = '4f1c2a8e-2b7d-4c1e-9a55-0d6f3b2e9c10';

describe('sourceConnection', () => {
  it('points Kubernetes audit webhooks at the per-source path with the bearer token', () => {
    const conn = sourceConnection('https://collector.example.com/', { id: ID, kind: 'k8s_audit' }, 'pgs_abc');
    expect(conn.endpoint).toBe(`https://collector.example.com/ingest/k8s-audit/${ID}`);
    expect(conn.snippet?.text).toContain(`server: https://collector.example.com/ingest/k8s-audit/${ID}`);
    expect(conn.snippet?.text).toContain('token: pgs_abc');
  });

  it('never shows a credential it was not given', () => {
    for (const kind of ['k8s_audit', 'github', 'falco'] as const) {
      const text = sourceConnection('http://c:2801', { id: ID, kind }).snippet?.text ?? '';
      expect(text).toContain('<the token shown when it was issued>');
      expect(text).not.toMatch(/pgs_/);
    }
  });

  it('gives GitHub the payload URL, JSON content type and secret', () => {
    const conn = sourceConnection('http://c:2801', { id: ID, kind: 'github' }, 's3cret');
    expect(conn.endpoint).toBe(`http://c:2801/ingest/github/${ID}`);
    expect(conn.snippet?.text).toMatch(/Content type: application\/json/);
    expect(conn.snippet?.text).toMatch(/Secret: +s3cret/);
  });

  it("sends Falco's http_output to the collector root with the token in the query", () => {
    expect(falcoHttpOutputConfig('http://c:2801/', 'pgs_x')).toContain('url: "http://c:2801/?token=pgs_x"');
    expect(falcoHttpOutputConfig('http://c:2801/', 'pgs_x')).toContain('json_output: true');
  });

  it("shows Okta's event hook endpoint with the Bearer token Okta must send", () => {
    const conn = sourceConnection('http://c:2801', { id: ID, kind: 'okta' }, 'pgs_okta');
    expect(conn.endpoint).toBe(`http://c:2801/ingest/okta/${ID}`);
    expect(conn.snippet?.text).toMatch(/Authentication field: +Authorization/);
    expect(conn.snippet?.text).toMatch(/Authentication secret: Bearer pgs_okta/);
    expect(sourceConnection('http://c', { id: ID, kind: 'okta' }).snippet?.text).not.toContain('pgs_');
  });

  it('has no endpoint for polled sources', () => {
    expect(sourceConnection('http://c', { id: ID, kind: 'aws_cloudtrail' })).toEqual({
      endpoint: null,
      snippet: null,
    });
  });

  it('produces a kubeconfig with one cluster, user and current context', () => {
    const text = k8sWebhookConfig('https://c/ingest/k8s-audit/x', 't');
    expect(text).toMatch(/^apiVersion: v1\nkind: Config\n/);
    expect(text).toContain('current-context: peregrine');
  });
});
