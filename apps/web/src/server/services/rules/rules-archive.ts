import 'server-only';
import { gunzipSync, gzipSync } from 'node:zlib';
import { unzipSync, zipSync } from 'fflate';
import { AppError } from '../../errors/app-error';

/**
 * Rules files in and out of archives: a version as a Falco rules folder (`.zip` or `.tar.gz`;
 * `tests/` rides along, Falco does not read it), and an uploaded archive, folder or Git tree back
 * into version files. Names are checked before anything is kept: no absolute paths, no `..`, no
 * links, only `.yaml`/`.yml` at the top or in `tests/`; sizes are bounded while unpacking.
 */

export type ArchiveFormat = 'zip' | 'tar.gz';

/** What an archive may hold. A version holds at most 50 files of 2 MB (rules-common.schema). */
export const ARCHIVE_LIMITS = {
  /** The uploaded archive itself. */
  archiveBytes: 10 * 1024 * 1024,
  /** Everything it unpacks to (a zip or gzip bomb stops here). */
  unpackedBytes: 40 * 1024 * 1024,
  fileBytes: 2_000_000,
  files: 50,
  /** Entries looked at (files skipped included). */
  entries: 2000,
} as const;

/** A version file name as the editor allows it: `name.yaml` or `tests/name.yaml`. */
const VERSION_FILE = /^(tests\/)?[\w.-]+\.ya?ml$/;

export interface RulesFileEntry {
  name: string;
  content: string;
}

/** Files taken from an archive or a tree, and what was left out with the reason. */
export interface UnpackedRules {
  files: RulesFileEntry[];
  skipped: { name: string; reason: string }[];
}

const refuse = (message: string): never => {
  throw new AppError('INVALID_INPUT', message);
};

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * The names a version's files take in a Falco rules folder. Falco loads a folder's files in name
 * order, a version in its own order: when the two differ, rules files get a `NN-` prefix so that
 * Falco loads them as the version does (tests/ keep their names).
 */
export function falcoFolderFiles(files: readonly RulesFileEntry[]): RulesFileEntry[] {
  const rules = files.filter((f) => !f.name.startsWith('tests/'));
  const sorted = rules.every((f, i) => i === 0 || rules[i - 1]!.name < f.name);
  if (sorted) return [...files];
  const width = Math.max(2, String(rules.length - 1).length);
  let i = 0;
  return files.map((f) =>
    f.name.startsWith('tests/') ? f : { ...f, name: `${String(i++).padStart(width, '0')}-${f.name}` },
  );
}

/** A version's files as one archive (names as falcoFolderFiles gives them). */
export function writeRulesArchive(input: readonly RulesFileEntry[], format: ArchiveFormat): Uint8Array {
  const files = falcoFolderFiles(input);
  for (const f of files)
    if (!VERSION_FILE.test(f.name)) refuse(`${JSON.stringify(f.name)} is not a rules file name`);
  const encoder = new TextEncoder();
  if (format === 'zip') {
    const entries: Record<string, Uint8Array> = {};
    for (const f of files) entries[f.name] = encoder.encode(f.content);
    return zipSync(entries, { level: 6 });
  }
  const mtime = Math.floor(Date.now() / 1000);
  const chunks: Buffer[] = [];
  const dirs = new Set(files.filter((f) => f.name.includes('/')).map((f) => f.name.split('/')[0]!));
  for (const dir of dirs) chunks.push(tarHeader(`${dir}/`, 0, '5', mtime));
  for (const f of files) {
    const body = Buffer.from(f.content, 'utf8');
    chunks.push(tarHeader(f.name, body.length, '0', mtime), body, Buffer.alloc(padding(body.length)));
  }
  chunks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(chunks));
}

const padding = (size: number) => (512 - (size % 512)) % 512;

/** A ustar header (POSIX 1003.1-1988); names here are short ASCII (checked above). */
function tarHeader(name: string, size: number, type: '0' | '5', mtime: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number) => h.write(text, offset, length, 'ascii');
  put(name, 0, 100);
  put(`${(type === '5' ? 0o755 : 0o644).toString(8).padStart(7, '0')}\0`, 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${size.toString(8).padStart(11, '0')}\0`, 124, 12);
  put(`${mtime.toString(8).padStart(11, '0')}\0`, 136, 12);
  put('        ', 148, 8);
  put(type, 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Which kind of archive the bytes are (by their magic numbers, not the file name). */
export function archiveFormatOf(bytes: Uint8Array): ArchiveFormat | null {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05)) return 'zip';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'tar.gz';
  return null;
}

/** Reads an uploaded `.zip` or `.tar.gz` into version files; a bad archive is a clear refusal. */
export function readRulesArchive(bytes: Uint8Array, fileName: string): UnpackedRules {
  if (bytes.length > ARCHIVE_LIMITS.archiveBytes) {
    refuse(`${fileName} is larger than ${ARCHIVE_LIMITS.archiveBytes / 1024 / 1024} MiB.`);
  }
  const format = archiveFormatOf(bytes);
  if (!format) refuse(`${fileName} is neither a .zip nor a .tar.gz archive.`);
  const raw =
    format === 'zip' ? unzipEntries(bytes, fileName) : untarEntries(gunzip(bytes, fileName), fileName);
  return rulesFromEntries(raw);
}

/** A file or folder found in an archive or tree, before its name is judged. */
export interface RawEntry {
  name: string;
  kind: 'file' | 'dir' | 'link' | 'other';
  data?: Uint8Array;
}

function unzipEntries(bytes: Uint8Array, fileName: string): RawEntry[] {
  const entries: RawEntry[] = [];
  let declared = 0;
  let count = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      // Sizes from the central directory bound what is inflated (fflate inflates into a buffer
      // of the declared size); entries that are not files are never inflated.
      filter: (f) => {
        count++;
        if (count > ARCHIVE_LIMITS.entries)
          refuse(`${fileName} has more than ${ARCHIVE_LIMITS.entries} entries.`);
        if (f.name.endsWith('/')) {
          entries.push({ name: f.name, kind: 'dir' });
          return false;
        }
        if (f.originalSize > ARCHIVE_LIMITS.fileBytes) {
          entries.push({ name: f.name, kind: 'file' });
          return false;
        }
        declared += f.originalSize;
        if (declared > ARCHIVE_LIMITS.unpackedBytes) {
          refuse(`${fileName} unpacks to more than ${ARCHIVE_LIMITS.unpackedBytes / 1024 / 1024} MiB.`);
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof AppError) throw error;
    return refuse(`${fileName} is not a readable zip archive (${(error as Error).message}).`);
  }
  for (const [name, data] of Object.entries(files)) entries.push({ name, kind: 'file', data });
  return entries;
}

function gunzip(bytes: Uint8Array, fileName: string): Buffer {
  try {
    return gunzipSync(bytes, { maxOutputLength: ARCHIVE_LIMITS.unpackedBytes });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || (error as RangeError) instanceof RangeError) {
      return refuse(`${fileName} unpacks to more than ${ARCHIVE_LIMITS.unpackedBytes / 1024 / 1024} MiB.`);
    }
    return refuse(`${fileName} is not a readable gzip file (${(error as Error).message}).`);
  }
}

/** Reads a tar stream: ustar and GNU headers, pax `path` records and GNU long names. */
export function untarEntries(tar: Buffer, fileName: string): RawEntry[] {
  const entries: RawEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  const text = (start: number, length: number) => {
    const slice = tar.subarray(start, start + length);
    const end = slice.indexOf(0);
    return slice.subarray(0, end === -1 ? slice.length : end).toString('utf8');
  };
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    const stored = Number.parseInt(text(offset + 148, 8).trim() || 'x', 8);
    if (stored !== sum) refuse(`${fileName} is not a tar archive (bad header at byte ${offset}).`);
    const sizeText = text(offset + 124, 12).trim();
    const size = sizeText ? Number.parseInt(sizeText, 8) : 0;
    if (!Number.isFinite(size) || size < 0) refuse(`${fileName}: bad entry size at byte ${offset}.`);
    const type = String.fromCharCode(header[156]!);
    const prefix = text(offset + 257, 6) === 'ustar' ? text(offset + 345, 155) : '';
    const baseName = text(offset, 100);
    const dataStart = offset + 512;
    if (dataStart + size > tar.length) refuse(`${fileName} is truncated.`);
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + size + padding(size);
    if (entries.length > ARCHIVE_LIMITS.entries)
      refuse(`${fileName} has more than ${ARCHIVE_LIMITS.entries} entries.`);
    if (type === 'L') {
      longName = text(dataStart, size);
      continue;
    }
    if (type === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))?.[1];
      if (path !== undefined) longName = path;
      continue;
    }
    if (type === 'g') continue;
    const name = longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
    longName = null;
    if (type === '0' || type === '\0' || type === '7') {
      entries.push(size > ARCHIVE_LIMITS.fileBytes ? { name, kind: 'file' } : { name, kind: 'file', data });
    } else if (type === '5') entries.push({ name, kind: 'dir' });
    else if (type === '1' || type === '2') entries.push({ name, kind: 'link' });
    else entries.push({ name, kind: 'other' });
  }
  return entries;
}

/** Hidden files and folders, and what macOS adds to archives, are never rules. */
const IGNORED_SEGMENT = /^(\.|__MACOSX$)/;

/**
 * Judges entries as version files: a common top folder (`rules/` of `tar czf x.tgz rules/`) is
 * dropped; a name with `..`, an absolute path, a backslash or a link refuses the whole upload
 * (it was made to escape, or was made wrong); other files that cannot be version files are left
 * out with the reason.
 */
export function rulesFromEntries(entries: readonly RawEntry[]): UnpackedRules {
  const seen: { segments: string[]; entry: RawEntry }[] = [];
  for (const entry of entries) {
    const name = entry.name;
    if (name.includes('\\') || name.includes('\0'))
      refuse(`${JSON.stringify(name)} is not a portable file name.`);
    if (name.startsWith('/') || /^[A-Za-z]:/.test(name))
      refuse(`${JSON.stringify(name)} is an absolute path.`);
    const segments = name.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.includes('..')) refuse(`${JSON.stringify(name)} points outside the folder (..).`);
    if (entry.kind === 'link') refuse(`${name} is a link: archives may hold only files and folders.`);
    if (segments.length === 0) continue;
    seen.push({ segments, entry });
  }
  const visible = seen.filter((s) => !s.segments.some((seg) => IGNORED_SEGMENT.test(seg)));
  const fileEntries = visible.filter((s) => s.entry.kind === 'file');
  // One top folder holding everything (and not itself tests/): the rules folder was archived.
  const tops = new Set(fileEntries.map((s) => (s.segments.length > 1 ? s.segments[0] : '')));
  const [top] = tops;
  const strip = tops.size === 1 && top !== undefined && top !== '' && top !== 'tests' ? 1 : 0;

  const files: RulesFileEntry[] = [];
  const skipped: UnpackedRules['skipped'] = [];
  let total = 0;
  for (const { segments, entry } of seen) {
    if (entry.kind !== 'file') continue;
    const name = segments.slice(strip).join('/');
    if (segments.some((seg) => IGNORED_SEGMENT.test(seg))) continue;
    if (!/\.ya?ml$/i.test(name)) {
      skipped.push({ name, reason: 'not a .yaml or .yml file' });
      continue;
    }
    if (!VERSION_FILE.test(name)) {
      skipped.push({
        name,
        reason: name.includes('/')
          ? 'only top-level rules files and tests/ are read (Falco reads a rules folder without its subfolders)'
          : 'use letters, digits, dot, dash or underscore in file names',
      });
      continue;
    }
    const data =
      entry.data ??
      refuse(
        `${name} is larger than ${ARCHIVE_LIMITS.fileBytes / 1_000_000} MB (the limit of a rules file).`,
      );
    total += data.length;
    if (total > ARCHIVE_LIMITS.unpackedBytes) refuse('The files are larger than a version may hold.');
    let content: string;
    try {
      content = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      return refuse(`${name} is not UTF-8 text.`);
    }
    if (files.some((f) => f.name === name)) refuse(`${name} appears twice.`);
    files.push({ name, content: content.replace(/^\uFEFF/, '') });
  }
  return checkVersionFiles({ files, skipped });
}

/** The version rules the editor applies too: a rules file besides tests, at most 50 files. */
export function checkVersionFiles(unpacked: UnpackedRules): UnpackedRules {
  const { files } = unpacked;
  if (files.length > ARCHIVE_LIMITS.files)
    refuse(`${files.length} files: a version holds at most ${ARCHIVE_LIMITS.files}.`);
  if (!files.some((f) => !f.name.startsWith('tests/'))) {
    const left = unpacked.skipped.map((s) => `${s.name}: ${s.reason}`).slice(0, 5);
    refuse(
      `No rules file found (a .yaml file at the top of the folder)${left.length ? `; left out: ${left.join('; ')}` : ''}.`,
    );
  }
  // Falco loads a folder's files in name order: the version keeps that order.
  files.sort((a, b) => {
    const at = a.name.startsWith('tests/');
    const bt = b.name.startsWith('tests/');
    if (at !== bt) return at ? 1 : -1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  return unpacked;
}
