import { isGzip, isScap, ScapFormatError, ScapReader, ScapState } from '@peregrine/engine';
import type { SampleEvent } from './sample-events';

/** Most events of a capture the test panel keeps (the rest are counted, not evaluated). */
export const CAPTURE_EVENT_LIMIT = 50_000;

export type CaptureRead =
  | {
      ok: true;
      events: SampleEvent[];
      /** Events the capture holds beyond CAPTURE_EVENT_LIMIT (not evaluated). */
      skipped: number;
      /** Why reading stopped before the end (a damaged capture), with the events read so far. */
      stoppedEarly?: string;
    }
  | { ok: false; error: string };

/** True when the bytes start a capture (`.scap`) or a gzip stream (maybe `.scap.gz`). */
export function looksLikeCapture(head: Uint8Array): boolean {
  return isScap(head) || isGzip(head);
}

async function* gunzip(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/**
 * Reads a Falco/sysdig capture (plain or gzip) into the syscall events Falco would evaluate: the
 * engine's reader and libsinsp-like state (thread and fd tables), syscalls on their exit events as
 * current Falco reads captures. A damaged capture keeps the events read before the damage.
 */
export async function readCapture(bytes: Uint8Array): Promise<CaptureRead> {
  if (!looksLikeCapture(bytes))
    return { ok: false, error: 'Not a capture: a .scap file starts with a section header block.' };
  const reader = new ScapReader();
  const state = new ScapState({ enterEvents: false });
  const events: SampleEvent[] = [];
  let skipped = 0;
  const take = (chunk: Uint8Array) => {
    for (const record of reader.push(chunk)) {
      const event = state.apply(record);
      if (!event) continue;
      if (events.length < CAPTURE_EVENT_LIMIT) {
        events.push({ index: events.length, event: event as unknown as Record<string, unknown> });
      } else skipped++;
    }
  };
  try {
    if (isGzip(bytes)) {
      let first = true;
      for await (const chunk of gunzip(bytes)) {
        if (first && !isScap(chunk)) return { ok: false, error: 'A gzip file, but not of a capture.' };
        first = false;
        take(chunk);
      }
    } else take(bytes);
    reader.end();
    return { ok: true, events, skipped };
  } catch (error) {
    const reason =
      error instanceof ScapFormatError
        ? error.message
        : error instanceof TypeError
          ? `gzip: ${error.message}`
          : error instanceof Error
            ? error.message
            : String(error);
    if (events.length === 0) return { ok: false, error: `The capture cannot be read: ${reason}` };
    return { ok: true, events, skipped, stoppedEarly: reason };
  }
}
