import { describe, expect, it } from 'vitest';
import {
  encodeTty,
  renderAtFlags,
  renderModeFlags,
  renderMountFlags,
  renderOctal,
  renderOpenFlags,
  renderPtraceRequest,
  renderRes,
} from './render.js';

describe('Falco-style rendering', () => {
  it('renders open flags in Falco table order', () => {
    expect(renderOpenFlags(0o2000000)).toBe('O_RDONLY|O_CLOEXEC');
    expect(renderOpenFlags(0o1101)).toBe('O_TRUNC|O_CREAT|O_WRONLY');
    expect(renderOpenFlags(0o2)).toBe('O_RDWR');
    expect(renderOpenFlags(0o2204102)).toBe('O_DIRECTORY|O_NONBLOCK|O_CREAT|O_RDWR|O_CLOEXEC');
    expect(renderOpenFlags(0o20200002)).toBe('O_RDWR|O_TMPFILE');
  });

  it('renders results, modes and requests', () => {
    expect(renderRes(0)).toBe('SUCCESS');
    expect(renderRes(-2)).toBe('ENOENT');
    expect(renderRes(-13)).toBe('EACCES');
    expect(renderRes(-115)).toBe('EINPROGRESS');
    expect(renderOctal(0o644)).toBe('0644');
    expect(renderOctal(0)).toBe('0');
    expect(renderModeFlags(0o4755)).toBe('S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID');
    expect(renderPtraceRequest(16)).toBe('PTRACE_ATTACH');
    expect(renderPtraceRequest(0x4206)).toBe('PTRACE_SEIZE');
    expect(renderPtraceRequest(0)).toBe('PTRACE_TRACEME');
    expect(renderAtFlags(0x200)).toBe('AT_REMOVEDIR');
    expect(renderMountFlags(0xc0ed0000n | 4096n | 16384n)).toBe('BIND|REC');
  });

  it('encodes ttys like /proc/PID/stat tty_nr', () => {
    expect(encodeTty(136, 0, 0)).toBe(34816);
    expect(encodeTty(136, 0, 3)).toBe(34819);
    expect(encodeTty(4, 0, 1)).toBe(1025);
    expect(encodeTty(0, 0, 0)).toBe(0);
  });
});
