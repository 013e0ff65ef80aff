import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ContainerMetadataCache, podFromLabels, splitImage } from './container-runtime.js';

const id = 'c0ffee'.repeat(10).slice(0, 60) + 'abcd';

/** A Docker Engine API endpoint on a unix socket, answering inspect for one container. */
async function dockerPeer(socketPath: string, requests: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url !== `/containers/${id}/json`) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"No such container"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        Id: id,
        Name: '/k8s_web_web-0_shop_1234_0',
        Image: 'sha256:9f2a',
        Config: {
          Image: 'registry.local:5000/shop/web:1.4.2',
          Labels: {
            'io.kubernetes.pod.name': 'web-0',
            'io.kubernetes.pod.namespace': 'shop',
            'io.kubernetes.pod.uid': '0a1b2c3d-4e5f-6789-abcd-ef0123456789',
            'io.kubernetes.container.name': 'web',
            tier: 'frontend',
          },
        },
        HostConfig: { Privileged: true },
        State: { StartedAt: '2026-11-23T10:00:00.123456789Z' },
        Mounts: [
          { Source: '/var/lib/app', Destination: '/data', Mode: 'rw', RW: true, Propagation: 'rprivate' },
        ],
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return server;
}

describe('container runtime metadata', () => {
  let dir: string | undefined;
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('splits image references', () => {
    expect(splitImage('nginx')).toEqual({ repository: 'nginx' });
    expect(splitImage('docker.io/library/nginx:1.27')).toEqual({
      repository: 'docker.io/library/nginx',
      tag: '1.27',
    });
    expect(splitImage('registry.local:5000/a/b@sha256:00ff')).toEqual({
      repository: 'registry.local:5000/a/b',
      digest: 'sha256:00ff',
    });
  });

  it('reads pod metadata from CRI labels', () => {
    expect(
      podFromLabels({ 'io.kubernetes.pod.name': 'p', 'io.kubernetes.pod.namespace': 'ns', app: 'x' }),
    ).toEqual({
      podName: 'p',
      namespace: 'ns',
      labels: { app: 'x' },
    });
    expect(podFromLabels({ app: 'x' })).toBeUndefined();
  });

  it('fetches from the Docker API socket once, without blocking the first lookup', async () => {
    dir = mkdtempSync(join(tmpdir(), 'peregrine-docker-'));
    const socket = join(dir, 'docker.sock');
    const requests: string[] = [];
    server = await dockerPeer(socket, requests);
    const cache = new ContainerMetadataCache({ sockets: { docker: [socket], crio: [] } });
    expect(cache.availableSockets()).toEqual([socket]);
    // First sight starts the fetch and answers nothing yet.
    expect(cache.get(id, 'docker')).toBeUndefined();
    await vi.waitFor(() => expect(cache.get(id, 'docker')).toBeDefined(), { timeout: 3000, interval: 10 });
    const meta = cache.get(id, 'docker');
    expect(meta?.container).toEqual({
      name: 'k8s_web_web-0_shop_1234_0',
      image: 'registry.local:5000/shop/web:1.4.2',
      imageRepository: 'registry.local:5000/shop/web',
      imageTag: '1.4.2',
      imageDigest: 'sha256:9f2a',
      privileged: true,
      startTs: '1795428000123456789',
      mounts: [{ source: '/var/lib/app', dest: '/data', mode: 'rw', rdwr: true, propagation: 'rprivate' }],
    });
    expect(meta?.k8s).toEqual({
      podName: 'web-0',
      namespace: 'shop',
      podUid: '0a1b2c3d-4e5f-6789-abcd-ef0123456789',
      labels: { tier: 'frontend' },
    });
    expect(requests).toEqual([`/containers/${id}/json`]);
    // Unknown containers are negative-cached: asked once.
    const other = 'f'.repeat(64);
    expect(await cache.fetch(other, 'docker')).toBeUndefined();
    expect(cache.get(other, 'docker')).toBeUndefined();
    // A second request would be the lookup above starting a fetch in the background: give it the
    // time to reach the peer. Waiting for something not to happen has no condition to wait on.
    await new Promise((r) => setTimeout(r, 50));
    expect(requests.filter((r) => r.includes(other))).toHaveLength(1);
  });
});
