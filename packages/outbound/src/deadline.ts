/**
 * A signal that aborts when `outer` does or when `ms` have passed, for one outbound request.
 *
 * Not `AbortSignal.any([outer, AbortSignal.timeout(ms)])`: on Node 20 the timeout signal inside
 * `any` is held only weakly, so a garbage collection during the request drops it and the request
 * is never cut (a receiver answering after 3 s was waited for in full past a 2 s timeout; shown by
 * deadline.test.ts under forced collections). Here the timer is an ordinary one, cleared by
 * `done()`, which the caller runs when the request (answer body included) has finished.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Whether the time ran out (as opposed to `outer` aborting). */
  readonly timedOut: boolean;
  /** Releases the timer and the listener on `outer`. */
  done(): void;
}

export function deadline(ms: number, outer?: AbortSignal): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
  }, ms);
  const onOuter = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    done() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}
