import { describe, expect, it } from 'vitest';
import { containerFromCgroup } from './cgroup.js';

const id = 'f3b1c9a0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6';

describe('containerFromCgroup', () => {
  it.each([
    [`0::/system.slice/docker-${id}.scope`, 'docker'],
    [`12:pids:/docker/${id}`, 'docker'],
    [
      `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice/cri-containerd-${id}.scope`,
      'containerd',
    ],
    [
      `0::/system.slice/containerd.service/kubepods-burstable-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice:cri-containerd:${id}`,
      'containerd',
    ],
    [`0::/kubepods.slice/kubepods-pod0a1b2c3d_4e5f_6789_abcd_ef0123456789.slice/crio-${id}.scope`, 'cri-o'],
    [`0::/machine.slice/libpod-${id}.scope/container`, 'podman'],
    [`11:memory:/kubepods/besteffort/pod0a1b2c3d-4e5f-6789-abcd-ef0123456789/${id}`, 'cri'],
  ])('finds the id and runtime in %s', (line, type) => {
    const found = containerFromCgroup(`1:name=systemd:/\n${line}\n`);
    expect(found?.id).toBe(id);
    expect(found?.type).toBe(type);
    if (line.includes('pod0a1b2c3d')) expect(found?.podUid).toBe('0a1b2c3d-4e5f-6789-abcd-ef0123456789');
  });

  it('treats host processes and conmon as no container', () => {
    expect(containerFromCgroup('0::/user.slice/user-0.slice/session-1.scope\n')).toBeUndefined();
    expect(containerFromCgroup(`0::/machine.slice/libpod-conmon-${id}.scope\n`)).toBeUndefined();
    expect(containerFromCgroup(`0::/system.slice/docker-${id.slice(0, 63)}.scope\n`)).toBeUndefined();
  });
});
