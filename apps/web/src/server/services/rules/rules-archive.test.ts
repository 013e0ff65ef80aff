import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import {
  falcoFolderFiles,
  readRulesArchive,
  rulesFromEntries,
  untarEntries,
  writeRulesArchive,
} from './rules-archive';

const FILES = [
  { name: 'falco_rules.yaml', content: '- list: shells\n  items: [sh, bash]\n' },
  { name: 'custom.yaml', content: '- macro: spawned\n  condition: evt.type = execve\n' },
  { name: 'tests/shell.yaml', content: '- name: a shell\n  source: syscall\n  event: {}\n  expect: []\n' },
];

const scratch = mkdtempSync(path.join(tmpdir(), 'rules-archive-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Unpacks with the system's own tools, as a Falco operator would. */
function unpackWithSystemTools(bytes: Uint8Array, format: 'zip' | 'tar.gz'): string {
  const dir = mkdtempSync(path.join(scratch, 'out-'));
  const file = path.join(dir, `archive.${format}`);
  writeFileSync(file, bytes);
  const into = path.join(dir, 'rules');
  execFileSync('mkdir', [into]);
  if (format === 'zip') execFileSync('unzip', ['-q', file, '-d', into]);
  else execFileSync('tar', ['-xzf', file, '-C', into]);
  return into;
}

describe('writing a version as a Falco rules folder', () => {
  it.each(['zip', 'tar.gz'] as const)(
    '%s unpacks with the system tools into the files, tests/ in its folder',
    (format) => {
      const folder = unpackWithSystemTools(writeRulesArchive(FILES, format), format);
      // The version loads falco_rules.yaml before custom.yaml; Falco loads a folder in name order.
      expect(readdirSync(folder).sort()).toEqual(['00-falco_rules.yaml', '01-custom.yaml', 'tests']);
      expect(readFileSync(path.join(folder, '00-falco_rules.yaml'), 'utf8')).toBe(FILES[0]!.content);
      expect(readFileSync(path.join(folder, 'tests', 'shell.yaml'), 'utf8')).toBe(FILES[2]!.content);
    },
  );

  it('keeps names when the version is already in name order', () => {
    const sorted = [FILES[1]!, FILES[0]!, FILES[2]!];
    expect(falcoFolderFiles(sorted).map((f) => f.name)).toEqual([
      'custom.yaml',
      'falco_rules.yaml',
      'tests/shell.yaml',
    ]);
  });

  it.each(['zip', 'tar.gz'] as const)('%s reads back to the same files in Falco order', (format) => {
    const { files, skipped } = readRulesArchive(writeRulesArchive(FILES, format), `x.${format}`);
    expect(files.map((f) => f.name)).toEqual(['00-falco_rules.yaml', '01-custom.yaml', 'tests/shell.yaml']);
    expect(files.map((f) => f.content)).toEqual(FILES.map((f) => f.content));
    expect(skipped).toEqual([]);
  });
});

describe('reading archives made elsewhere', () => {
  it('takes a folder archived by GNU tar (top folder dropped, README and hidden files left out)', () => {
    const dir = mkdtempSync(path.join(scratch, 'src-'));
    execFileSync('mkdir', ['-p', path.join(dir, 'my-rules', 'tests'), path.join(dir, 'my-rules', '.git')]);
    writeFileSync(path.join(dir, 'my-rules', 'a.yaml'), '- list: a\n  items: []\n');
    writeFileSync(path.join(dir, 'my-rules', 'tests', 't.yml'), '[]\n');
    writeFileSync(path.join(dir, 'my-rules', 'README.md'), '# rules\n');
    writeFileSync(path.join(dir, 'my-rules', '.git', 'HEAD'), 'ref: x\n');
    const tgz = path.join(dir, 'rules.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', dir, 'my-rules']);
    const { files, skipped } = readRulesArchive(readFileSync(tgz), 'rules.tgz');
    expect(files.map((f) => f.name)).toEqual(['a.yaml', 'tests/t.yml']);
    expect(skipped).toEqual([{ name: 'README.md', reason: 'not a .yaml or .yml file' }]);
  });

  it('reads GNU long names and pax paths', () => {
    const dir = mkdtempSync(path.join(scratch, 'long-'));
    const long = `${'x'.repeat(120)}.yaml`;
    writeFileSync(path.join(dir, long), '- list: l\n  items: []\n');
    for (const fmt of ['gnu', 'pax']) {
      const tar = execFileSync('tar', [`--format=${fmt}`, '-cf', '-', '-C', dir, long]);
      expect(untarEntries(tar, 'x.tar').find((e) => e.kind === 'file')?.name).toBe(long);
    }
  });

  it.each([
    ['../evil.yaml', 'points outside the folder'],
    ['rules/../../evil.yaml', 'points outside the folder'],
    ['/etc/evil.yaml', 'is an absolute path'],
    ['C:/evil.yaml', 'is an absolute path'],
    ['a\\..\\evil.yaml', 'is not a portable file name'],
  ])('refuses a zip entry named %s', (name, message) => {
    const zip = zipSync({
      'ok.yaml': new TextEncoder().encode('[]'),
      [name]: new TextEncoder().encode('[]'),
    });
    expect(() => readRulesArchive(zip, 'bad.zip')).toThrow(message);
  });

  it('refuses links in a tar archive', () => {
    const dir = mkdtempSync(path.join(scratch, 'link-'));
    writeFileSync(path.join(dir, 'a.yaml'), '[]');
    execFileSync('ln', ['-s', '/etc/passwd', path.join(dir, 'b.yaml')]);
    const tgz = execFileSync('tar', ['-czf', '-', '-C', dir, 'a.yaml', 'b.yaml']);
    expect(() => readRulesArchive(tgz, 'links.tgz')).toThrow('b.yaml is a link');
  });

  it('answers bad bytes with clear refusals, never a crash', () => {
    expect(() => readRulesArchive(new TextEncoder().encode('hello'), 'notes.txt')).toThrow(
      'notes.txt is neither a .zip nor a .tar.gz archive.',
    );
    const tgz = writeRulesArchive(FILES, 'tar.gz');
    expect(() => readRulesArchive(tgz.subarray(0, tgz.length - 20), 'cut.tgz')).toThrow(
      /cut\.tgz (is not a readable gzip|is truncated)/,
    );
    const zip = writeRulesArchive(FILES, 'zip');
    expect(() => readRulesArchive(zip.subarray(0, 60), 'cut.zip')).toThrow(/cut\.zip is not a readable zip/);
    expect(() =>
      readRulesArchive(gzipSync(Buffer.from('not a tar archive at all'.repeat(40))), 'x.tgz'),
    ).toThrow('x.tgz is not a tar archive');
    const onlyTests = zipSync({ 'tests/t.yaml': new TextEncoder().encode('[]') });
    expect(() => readRulesArchive(onlyTests, 't.zip')).toThrow('No rules file found');
    const latin1 = zipSync({ 'a.yaml': new Uint8Array([0x2d, 0x20, 0xe9, 0xff]) });
    expect(() => readRulesArchive(latin1, 'l.zip')).toThrow('a.yaml is not UTF-8 text.');
  });

  it('stops a gzip bomb at the unpacked limit', () => {
    const bomb = gzipSync(Buffer.alloc(41 * 1024 * 1024));
    expect(() => readRulesArchive(bomb, 'bomb.tgz')).toThrow('bomb.tgz unpacks to more than 40 MiB.');
  });

  it('leaves out nested folders other than tests/ and names a version cannot take', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const { files, skipped } = rulesFromEntries([
      { name: 'a.yaml', kind: 'file', data: enc('[]') },
      { name: 'extra/b.yaml', kind: 'file', data: enc('[]') },
      { name: 'with space.yaml', kind: 'file', data: enc('[]') },
    ]);
    expect(files.map((f) => f.name)).toEqual(['a.yaml']);
    expect(skipped.map((s) => s.name)).toEqual(['extra/b.yaml', 'with space.yaml']);
  });
});
