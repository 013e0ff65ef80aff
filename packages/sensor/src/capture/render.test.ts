import { describe, expect, it } from 'vitest';
import {
  encodeTty,
  renderAtFlags,
  renderCloneFlags,
  renderModeFlags,
  renderMountFlags,
  renderOctal,
  renderOpenFlags,
  renderPrctlOption,
  renderPtraceRequest,
  renderRes,
  renderSignal,
  renderUserfaultfdFlags,
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

  it('renders namespace flags, signals, prctl options and userfaultfd flags', () => {
    expect(renderCloneFlags(0x40000000)).toBe('CLONE_NEWNET');
    expect(renderCloneFlags(0x10000000 | 0x20000)).toBe('CLONE_NEWNS|CLONE_NEWUSER');
    // The top bit (CLONE_IO) as a signed 32-bit value, as the kernel's int arrives.
    expect(renderCloneFlags(0x80000000 | 0)).toBe('CLONE_IO');
    expect(renderCloneFlags(-2147483648)).toBe('CLONE_IO');
    expect(renderCloneFlags(0)).toBe('0');
    expect(renderSignal(9)).toBe('SIGKILL');
    expect(renderSignal(0)).toBe('0');
    expect(renderSignal(34)).toBe('34');
    expect(renderPrctlOption(15)).toBe('PR_SET_NAME');
    expect(renderPrctlOption(9999)).toBe('9999');
    expect(renderUserfaultfdFlags(0o2004001)).toBe('O_NONBLOCK|O_CLOEXEC|UFFD_USER_MODE_ONLY');
  });

  it('encodes ttys like /proc/PID/stat tty_nr', () => {
    expect(encodeTty(136, 0, 0)).toBe(34816);
    expect(encodeTty(136, 0, 3)).toBe(34819);
    expect(encodeTty(4, 0, 1)).toBe(1025);
    expect(encodeTty(0, 0, 0)).toBe(0);
  });
});
