'use client';

import { errorData } from '@/trpc/client';

/**
 * A query in flight: a spinner and what is coming, in place of the content, so a slow answer
 * reads as loading rather than as an empty page. `role="status"` announces it once.
 */
export function LoadingState({ label, testId }: { label: string; testId?: string }) {
  return (
    <div className="loading-state" role="status" aria-live="polite" data-testid={testId}>
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/**
 * Why a query failed, as a sentence for the page. A coded server error carries a message meant
 * for people (`Incident … does not exist.`); input validation arrives as per-field issues; a
 * request that never got an answer (network, gateway) has no coded data at all.
 */
export function loadErrorText(error: unknown): string {
  const data = errorData(error);
  if (!data) return 'The console could not reach its server. Check the connection, then try again.';
  if (data.issues?.length)
    return `The request was refused (${data.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}).`;
  const message = error instanceof Error ? error.message : '';
  if (!message || /^\s*[[{]/.test(message) || data.httpStatus >= 500)
    return 'The server could not answer this time. Try again in a moment.';
  return message;
}

/** Whether asking again may help: no answer at all, or the server's own failure (not a refusal). */
function mayPassOnRetry(error: unknown): boolean {
  const data = errorData(error);
  return !data || data.httpStatus >= 500;
}

/**
 * A failed query in place of its content: what could not be loaded, why, and a retry when asking
 * again may help (a refused range or a missing incident stays refused).
 */
export function LoadError({
  what,
  error,
  onRetry,
  retrying = false,
  testId,
}: {
  what: string;
  error: unknown;
  onRetry?: () => void;
  retrying?: boolean;
  testId?: string;
}) {
  return (
    <div className="load-error" role="alert" data-testid={testId}>
      <div>
        <strong>{what} could not be loaded.</strong> {loadErrorText(error)}
      </div>
      {onRetry && mayPassOnRetry(error) ? (
        <button type="button" className="button" onClick={onRetry} disabled={retrying}>
          {retrying ? 'Trying again…' : 'Try again'}
        </button>
      ) : null}
    </div>
  );
}
