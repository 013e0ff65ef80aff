import type {
  WireContainerInfo as ContainerInfo,
  WirePodInfo as PodInfo,
  WireProcessInfo as ProcessInfo,
} from '@peregrine/protocol';
import type { OpenRecord } from '../capture/libbpf-records.js';
import {
  renderDirfd,
  renderErrnoOrNumber,
  renderOctal,
  renderOpenFlags,
  renderResolveFlags,
} from '../capture/render.js';
import type { ProcEntry } from './process-table.js';
import { AT_FDCWD, resolvePath } from './resolve-path.js';

/** Argument names of the open family, as Falco names them. */
const OPEN_NAMES = ['fd', 'name', 'flags', 'mode'] as const;
const OPENAT_NAMES = ['fd', 'dirfd', 'name', 'flags', 'mode'] as const;
const OPENAT2_NAMES = ['fd', 'dirfd', 'name', 'flags', 'mode', 'resolve'] as const;

/**
 * An open-family event in the parts a version-2 batch row is made of: what `enrich` would put in
 * the event's args and fd, without the event object. One object is reused for every event (the
 * row keeps `values`, a new array each time, and the shared process and container objects).
 */
export class OpenEventParts {
  type = '';
  ts = '';
  num = 0;
  cpu = 0;
  res = 0;
  proc: ProcessInfo = { pid: 0, name: '' };
  /** Argument names (one shared list per type) and values (the event's own array). */
  names: readonly string[] = OPEN_NAMES;
  values: string[] = [];
  fdNum = 0;
  fdType: 'file' | 'directory' = 'file';
  fdName = '';
  fdNameraw = '';
  fdFlags = '';
  fdMode = '';
  container: ContainerInfo | undefined = undefined;
  k8s: PodInfo | undefined = undefined;
  hostname = '';
}

/** What the args and fd of an open-family event are made of (an OpenRecord or a RawEvent's). */
export type OpenFacts = Pick<OpenRecord, 'type' | 'ret' | 'dirfd' | 'flags' | 'mode' | 'resolve' | 'name'>;

/**
 * Args and fd of an open-family event into `parts`. Both the fast path (`Enricher.enrichOpen`)
 * and the event builder go through here, so the two cannot differ.
 */
export function fillOpenArgs(procRoot: string, r: OpenFacts, entry: ProcEntry, parts: OpenEventParts): void {
  const type = r.type;
  const flags = type === 'creat' ? 0o1101 : r.flags;
  const atFd = type === 'openat' || type === 'openat2';
  const dirfd = atFd ? r.dirfd : AT_FDCWD;
  const renderedFlags = renderOpenFlags(flags);
  const mode = renderOctal(r.mode);
  const fdText = renderErrnoOrNumber(r.ret);
  if (type === 'openat2') {
    parts.names = OPENAT2_NAMES;
    parts.values = [fdText, renderDirfd(dirfd), r.name, renderedFlags, mode, renderResolveFlags(r.resolve)];
  } else if (atFd) {
    parts.names = OPENAT_NAMES;
    parts.values = [fdText, renderDirfd(dirfd), r.name, renderedFlags, mode];
  } else {
    parts.names = OPEN_NAMES;
    parts.values = [fdText, r.name, renderedFlags, mode];
  }
  parts.fdNum = r.ret >= 0 ? r.ret : -1;
  parts.fdType = flags & 0o200000 && !(flags & 0o20000000) ? 'directory' : 'file';
  parts.fdNameraw = r.name;
  parts.fdFlags = renderedFlags;
  parts.fdMode = mode;
  parts.fdName = resolvePath(procRoot, entry, r.name, dirfd) ?? r.name;
}
