import type { SyscallEvent } from '../../events/syscall-event.js';
import { defineSource } from '../../fields/define.js';
import type { SourceDef } from '../../fields/types.js';
import { CONTAINER_FIELDS } from './fields-container.js';
import { EVT_FIELDS } from './fields-evt.js';
import { FD_FIELDS } from './fields-fd.js';
import { PROC_FIELDS } from './fields-proc.js';
import { EXTRA_FIELDS } from './fields-unreported.js';
import { ALL_EVENT_CODES, eventTypeCodes, eventTypeName, isKnownEventType } from './event-types.js';

/**
 * The `syscall` source over SyscallEvent (see events/syscall-event.ts). A structured event always
 * has a `proc` object; an object without one is read as a flat map keyed by field name.
 */
export function createSyscallSource(): SourceDef {
  return defineSource({
    name: 'syscall',
    description: 'Linux system calls and process events captured by peregrine-sensor (Falco syscall source).',
    fields: [...EVT_FIELDS, ...PROC_FIELDS, ...FD_FIELDS, ...CONTAINER_FIELDS, ...EXTRA_FIELDS],
    // `typeof null` is 'object': a `proc` of null is no process (read as a flat map, every
    // structured field missing) rather than one whose members throw when read.
    isFlat: (e) => typeof e.proc !== 'object' || e.proc === null,
    eventType(event) {
      if (typeof event !== 'object' || event === null) return undefined;
      const e = event as Record<string, unknown>;
      const t =
        typeof e.proc === 'object' && e.proc !== null ? (e as unknown as SyscallEvent).type : e['evt.type'];
      return typeof t === 'string' ? t : undefined;
    },
    isKnownEventType,
    eventTypeCodes,
    allEventTypeCodes: ALL_EVENT_CODES,
    eventTypeName,
  });
}
