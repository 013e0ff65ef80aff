/** A sample event for the test panel, with where it came from for error messages. */
export interface SampleEvent {
  index: number;
  event: Record<string, unknown>;
}

export type SampleParse = { ok: true; events: SampleEvent[] } | { ok: false; error: string };

/**
 * Reads sample events: a JSON object, a JSON array of objects, or NDJSON (one object per line).
 * Each event may be a flat field map (`{"evt.type": "execve", "proc.name": "bash"}`) or a raw
 * record of its source.
 */
export function parseSampleEvents(text: string): SampleParse {
  const trimmed = text.trim();
  if (!trimmed) return { ok: true, events: [] };
  const asObjects = (values: unknown[]): SampleParse => {
    const events: SampleEvent[] = [];
    for (const [index, value] of values.entries()) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return { ok: false, error: `Event ${index + 1} is not a JSON object.` };
      }
      events.push({ index, event: value as Record<string, unknown> });
    }
    return { ok: true, events };
  };
  try {
    const whole = JSON.parse(trimmed) as unknown;
    return asObjects(Array.isArray(whole) ? whole : [whole]);
  } catch {
    // Not one JSON document: read it as NDJSON below.
  }
  const values: unknown[] = [];
  const lines = trimmed.split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    try {
      values.push(JSON.parse(line));
    } catch (error) {
      return { ok: false, error: `Line ${i + 1} is not valid JSON: ${(error as Error).message}` };
    }
  }
  return asObjects(values);
}
