import { errorData } from '@/trpc/client';

/** How the filter's parts are named in the filter bar, for messages about them. */
const FILTER_PART_LABELS: Record<string, string> = {
  environment: 'environment',
  priority: 'priority',
  rules: 'rule',
  sources: 'source',
  tags: 'tag',
  hostnames: 'host',
  statuses: 'status',
  assignees: 'assignee',
  range: 'time range',
  from: 'from',
  to: 'to',
  text: 'search text',
  fields: 'output field',
  group: 'group',
};

/**
 * A failed alerts call as a sentence for the page. Input validation failures arrive as per-field
 * issues (`filter.group: Invalid UUID`); tRPC's own message for them is the issues as JSON, which
 * says nothing to a triager, so the issues are named after the filter bar's parts instead.
 */
export function alertsErrorText(error: unknown): string {
  const issues = errorData(error)?.issues;
  if (issues?.length) {
    const parts = issues.map((issue) => {
      const [head, part] = issue.path.split('.');
      const label = head === 'filter' && part ? (FILTER_PART_LABELS[part] ?? part) : issue.path;
      return label ? `${label}: ${issue.message}` : issue.message;
    });
    const aboutFilter = issues.some((i) => i.path.startsWith('filter.'));
    return aboutFilter
      ? `This filter cannot be used (${parts.join('; ')}). Remove that filter or pick another value.`
      : `The request was refused (${parts.join('; ')}).`;
  }
  const message = error instanceof Error ? error.message : '';
  // A validation failure without issues (an older server) still carries its JSON as the message.
  if (!message || /^\s*[[{]/.test(message)) return 'The alerts could not be loaded; reload the page.';
  return message;
}
