import type { SyscallEvent } from '../../events/syscall-event.js';
import type { FieldSpec } from '../../fields/define.js';
import type { Extracted, FieldArgSpec, FieldType, MatchMode } from '../../fields/types.js';

/** Shared vocabulary for the syscall field modules. */
export type Ev = SyscallEvent;
export type Get = (e: Ev) => Extracted;

export const INDEX_OPT: FieldArgSpec = { kind: 'index', required: false };
export const INDEX_REQ: FieldArgSpec = { kind: 'index', required: true };
export const KEY_REQ: FieldArgSpec = { kind: 'key', required: true };
export const KEY_OPT: FieldArgSpec = { kind: 'key', required: false };

/** A field without argument whose extractor is fixed. */
export function plain(
  name: string,
  type: FieldType,
  desc: string,
  get: Get,
  extra: Partial<FieldSpec> = {},
): FieldSpec {
  return { name, type, desc, ...extra, bind: () => get as (e: never) => ReturnType<Get> };
}

/** A field whose argument selects the extractor (`bind` receives the validated argument). */
export function withArg(
  name: string,
  type: FieldType,
  desc: string,
  arg: FieldArgSpec,
  argDesc: string,
  bind: (arg: string | undefined) => Get,
  extra: Partial<FieldSpec> & { mode?: MatchMode | ((arg: string | undefined) => MatchMode) } = {},
): FieldSpec {
  return {
    name,
    type,
    desc,
    arg,
    argDesc,
    ...extra,
    bind: (a) => bind(a) as (e: never) => ReturnType<Get>,
  };
}

/** Joins a directory and a path the way libs does for relative paths (`/a/` + `b` -> `/a/b`). */
export function joinPath(dir: string, path: string): string {
  if (path.startsWith('/')) return path;
  return dir.endsWith('/') ? dir + path : `${dir}/${path}`;
}

/** Text after the last `/` (`/etc/passwd` -> `passwd`). */
export function baseName(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** Text before the last `/`, `/` for top-level paths (`/etc/passwd` -> `/etc`). */
export function dirName(path: string): string {
  const i = path.lastIndexOf('/');
  if (i < 0) return '.';
  return i === 0 ? '/' : path.slice(0, i);
}
