import type { SourceKind } from '@peregrine/db';

/** How a source reaches the collector, for the console to show next to it. */
export interface SourceConnection {
  /** Where the source pushes (webhooks, Falco http_output); null for polled sources. */
  endpoint: string | null;
  /** A ready-to-paste configuration snippet; carries the credential only when it is passed in. */
  snippet: { language: 'yaml' | 'text'; title: string; text: string } | null;
}

const HIDDEN = '<the token shown when it was issued>';

/** The kube-apiserver webhook config (kubeconfig format) for `--audit-webhook-config-file`. */
export function k8sWebhookConfig(endpoint: string, token: string | null): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: peregrine',
    '    cluster:',
    `      server: ${endpoint}`,
    'users:',
    '  - name: kube-apiserver',
    '    user:',
    `      token: ${token ?? HIDDEN}`,
    'contexts:',
    '  - name: peregrine',
    '    context:',
    '      cluster: peregrine',
    '      user: kube-apiserver',
    'current-context: peregrine',
    '',
    '# kube-apiserver flags:',
    '#   --audit-policy-file=/etc/kubernetes/audit-policy.yaml',
    '#   --audit-webhook-config-file=/etc/kubernetes/peregrine-audit-webhook.yaml',
    '#   --audit-webhook-batch-max-wait=5s',
  ].join('\n');
}

/** The falco.yaml lines that send Falco's alerts to this source (token in the query string). */
export function falcoHttpOutputConfig(endpoint: string, token: string | null): string {
  const url = `${endpoint}?token=${token ?? HIDDEN}`;
  return [
    'json_output: true',
    'json_include_output_property: true',
    'http_output:',
    '  enabled: true',
    `  url: "${url}"`,
  ].join('\n');
}

/**
 * Endpoint and snippet of a source. `credential` is the clear token (k8s audit, Falco) or webhook
 * secret (GitHub) right after it was issued; otherwise snippets show a placeholder.
 */
export function sourceConnection(
  collectorUrl: string,
  source: { id: string; kind: SourceKind },
  credential: string | null = null,
): SourceConnection {
  const base = collectorUrl.replace(/\/+$/, '');
  switch (source.kind) {
    case 'k8s_audit': {
      const endpoint = `${base}/ingest/k8s-audit/${source.id}`;
      return {
        endpoint,
        snippet: {
          language: 'yaml',
          title: 'Audit webhook config (kubeconfig format)',
          text: k8sWebhookConfig(endpoint, credential),
        },
      };
    }
    case 'github': {
      const endpoint = `${base}/ingest/github/${source.id}`;
      return {
        endpoint,
        snippet: {
          language: 'text',
          title: 'GitHub webhook settings',
          text: [
            `Payload URL:  ${endpoint}`,
            'Content type: application/json',
            `Secret:       ${credential ?? HIDDEN}`,
            'Events:       Send me everything (or pick the events your rules use)',
          ].join('\n'),
        },
      };
    }
    case 'falco': {
      const endpoint = `${base}/`;
      return {
        endpoint,
        snippet: { language: 'yaml', title: 'falco.yaml', text: falcoHttpOutputConfig(endpoint, credential) },
      };
    }
    case 'okta': {
      const endpoint = `${base}/ingest/okta/${source.id}`;
      return {
        endpoint,
        snippet: {
          language: 'text',
          title: 'Okta event hook (Workflow > Event Hooks > Create Event Hook)',
          text: [
            `Endpoint URL:          ${endpoint}`,
            'Authentication field:  Authorization',
            `Authentication secret: Bearer ${credential ?? HIDDEN}`,
            'Subscribe to events:   the System Log event types your rules use',
            '',
            '# Okta verifies the hook with one GET carrying X-Okta-Verification-Challenge;',
            '# the collector answers it with the same token.',
          ].join('\n'),
        },
      };
    }
    default:
      return { endpoint: null, snippet: null };
  }
}
