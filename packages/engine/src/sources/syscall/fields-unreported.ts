import type { FieldSpec } from '../../fields/define.js';
import type { FieldType } from '../../fields/types.js';
import { type Ev, plain } from './common.js';
import { eventCategory } from './event-types.js';

/**
 * Falco fields the sensor does not report. They are registered so rules written for Falco load;
 * they are always missing (every comparison false, `<NA>` in outputs).
 */
const UNREPORTED: Array<[string, FieldType, string]> = [
  ['proc.exe_ino', 'UINT64', 'Inode number of the executable.'],
  ['proc.fdopencount', 'UINT64', 'Number of open fds of the process.'],
  ['proc.fdlimit', 'INT64', 'Maximum number of fds the process can open.'],
  ['proc.fdusage', 'DOUBLE', 'Ratio of open fds to the fd limit.'],
  ['proc.vmsize', 'UINT64', 'Total virtual memory of the process (KB).'],
  ['proc.vmrss', 'UINT64', 'Resident memory of the process (KB).'],
  ['proc.vmswap', 'UINT64', 'Swapped memory of the process (KB).'],
  ['proc.nthreads', 'UINT64', 'Number of threads of the process.'],
  ['proc.nchilds', 'UINT64', 'Number of child threads of the process.'],
  ['proc.stdin.type', 'CHARBUF', 'fd type of the standard input.'],
  ['proc.stdin.name', 'CHARBUF', 'fd name of the standard input.'],
  ['proc.stdout.type', 'CHARBUF', 'fd type of the standard output.'],
  ['proc.stdout.name', 'CHARBUF', 'fd name of the standard output.'],
  ['proc.stderr.type', 'CHARBUF', 'fd type of the standard error.'],
  ['proc.stderr.name', 'CHARBUF', 'fd name of the standard error.'],
  ['proc.is_container_healthcheck', 'BOOL', 'True if the process runs as a container health check.'],
  ['proc.is_container_liveness_probe', 'BOOL', 'True if the process runs as a Kubernetes liveness probe.'],
  ['proc.is_container_readiness_probe', 'BOOL', 'True if the process runs as a Kubernetes readiness probe.'],
  ['thread.exectime', 'RELTIME', 'CPU time spent by the last scheduled thread.'],
  ['thread.totexectime', 'RELTIME', 'Total CPU time of the thread.'],
  ['thread.pfmajor', 'UINT64', 'Major page faults of the thread.'],
  ['thread.pfminor', 'UINT64', 'Minor page faults of the thread.'],
  ['thread.vmsize', 'UINT64', 'Virtual memory of the thread (KB).'],
  ['thread.vmrss', 'UINT64', 'Resident memory of the thread (KB).'],
  ['fd.cproto', 'CHARBUF', 'Service name of the client port.'],
  ['fd.sproto', 'CHARBUF', 'Service name of the server port.'],
  ['fd.lproto', 'CHARBUF', 'Service name of the local port.'],
  ['fd.rproto', 'CHARBUF', 'Service name of the remote port.'],
  ['fd.is_upper_layer', 'BOOL', 'True if the file is in the overlayfs upper layer.'],
  ['fd.is_lower_layer', 'BOOL', 'True if the file is in an overlayfs lower layer.'],
  ['k8s.pod.sandbox_id', 'CHARBUF', 'Pod sandbox ID (12 characters).'],
  ['k8s.pod.full_sandbox_id', 'CHARBUF', 'Full pod sandbox ID.'],
  ['k8s.pod.ip', 'CHARBUF', 'IP address of the pod.'],
  ['k8s.pod.cni.json', 'CHARBUF', 'CNI result of the pod.'],
  ['evt.wait_latency', 'RELTIME', 'Deprecated: time spent waiting for the event to return.'],
  ['evt.reltime', 'RELTIME', 'Nanoseconds since the start of the capture.'],
  ['evt.deltatime', 'RELTIME', 'Nanoseconds since the previous event.'],
];

const unreported: FieldSpec[] = UNREPORTED.map(([name, type, desc]) =>
  plain(name, type, `${desc} Not reported by the sensor (always missing).`, () => undefined, {
    hidden: name.startsWith('evt.wait'),
  }),
);

/** Byte counts of I/O events split by direction and fd kind (`evt.buflen.*`). */
function buflen(dir: 'IO_READ' | 'IO_WRITE' | undefined, kind: 'file' | 'net' | undefined) {
  return (e: Ev): number | undefined => {
    const c = eventCategory(e.type);
    if (c !== 'IO_READ' && c !== 'IO_WRITE') return undefined;
    if (dir !== undefined && c !== dir) return undefined;
    if (kind === 'file' && e.fd?.type !== 'file') return undefined;
    if (kind === 'net' && e.fd?.type !== 'ipv4' && e.fd?.type !== 'ipv6') return undefined;
    return e.res !== undefined && e.res >= 0 ? e.res : undefined;
  };
}

export const EXTRA_FIELDS: FieldSpec[] = [
  ...unreported,
  plain('evt.buflen.in', 'UINT64', 'Bytes read by a read-type I/O event.', buflen('IO_READ', undefined)),
  plain(
    'evt.buflen.out',
    'UINT64',
    'Bytes written by a write-type I/O event.',
    buflen('IO_WRITE', undefined),
  ),
  plain('evt.buflen.file', 'UINT64', 'Bytes read or written on a file.', buflen(undefined, 'file')),
  plain('evt.buflen.file.in', 'UINT64', 'Bytes read from a file.', buflen('IO_READ', 'file')),
  plain('evt.buflen.file.out', 'UINT64', 'Bytes written to a file.', buflen('IO_WRITE', 'file')),
  plain('evt.buflen.net', 'UINT64', 'Bytes read or written on a network socket.', buflen(undefined, 'net')),
  plain('evt.buflen.net.in', 'UINT64', 'Bytes received from a network socket.', buflen('IO_READ', 'net')),
  plain('evt.buflen.net.out', 'UINT64', 'Bytes sent to a network socket.', buflen('IO_WRITE', 'net')),
  plain('evt.latency.s', 'RELTIME', 'Deprecated: seconds part of evt.latency (0).', () => 0, {
    hidden: true,
  }),
  plain('evt.latency.ns', 'RELTIME', 'Deprecated: nanoseconds part of evt.latency (0).', () => 0, {
    hidden: true,
  }),
  plain('evt.latency.human', 'CHARBUF', 'Deprecated: evt.latency as text.', () => '0ns', { hidden: true }),
  plain(
    'evt.asynctype',
    'CHARBUF',
    'Name of an asynchronous event (asyncevent/container); missing otherwise.',
    (e) => (e.type === 'asyncevent' || e.type === 'container' ? e.type : undefined),
  ),
];
