import { describe, expect, it } from 'vitest';
import { flagRenderer } from '../../scap/render-params.js';

const renderFlagParam = (event: string, param: string, type: string, value: number) =>
  flagRenderer(event, param, type)?.(value);
import { cloneFlagsToPpm, openFlagsToPpm, ptraceRequestToPpm } from './linux-flags.js';

// Linux x86-64 values as a kernel probe reads them.
const O_WRONLY = 0o1;
const O_RDWR = 0o2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const O_TMPFILE = 0o20200000;

describe('Linux flags to the PPM values a capture stores', () => {
  it('open flags: the access mode is a value, every other flag a bit', () => {
    const open = (linux: number) => renderFlagParam('openat', 'flags', 'FLAGS32', openFlagsToPpm(linux));
    expect(open(0)).toBe('O_RDONLY');
    expect(open(O_WRONLY | O_CREAT | O_TRUNC)).toBe('O_TRUNC|O_CREAT|O_WRONLY');
    expect(open(O_RDWR | O_CLOEXEC)).toBe('O_RDWR|O_CLOEXEC');
    // O_TMPFILE carries O_DIRECTORY's bit; it is named once.
    expect(open(O_TMPFILE | O_RDWR)).toBe('O_RDWR|O_TMPFILE');
  });

  it('clone flags: CLONE_NEWTIME has no PPM bit and is dropped; bit 31 survives', () => {
    const clone = (linux: number) => renderFlagParam('unshare', 'flags', 'FLAGS32', cloneFlagsToPpm(linux));
    expect(clone(0x20000 | 0x10000000)).toBe('CLONE_NEWNS|CLONE_NEWUSER');
    expect(clone(0x80000000)).toBe('CLONE_IO');
    expect(cloneFlagsToPpm(0x80)).toBe(0);
  });

  it('ptrace requests: Linux numbers to PPM codes, unknown ones to PTRACE_UNKNOWN', () => {
    expect(renderFlagParam('ptrace', 'request', 'ENUMFLAGS16', ptraceRequestToPpm(16))).toBe('PTRACE_ATTACH');
    expect(renderFlagParam('ptrace', 'request', 'ENUMFLAGS16', ptraceRequestToPpm(0x4206))).toBe(
      'PTRACE_SEIZE',
    );
    expect(ptraceRequestToPpm(0x420e)).toBe(0);
  });
});
