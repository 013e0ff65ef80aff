import { existsSync } from 'node:fs';
import { request } from 'node:http';
import type { WireContainerInfo as ContainerInfo, WirePodInfo as PodInfo } from '@peregrine/protocol';
import { LruCache } from './lru-cache.js';

/** Container metadata fetched from a runtime. */
export interface ContainerMeta {
  container: Omit<ContainerInfo, 'id' | 'type'>;
  k8s?: PodInfo;
}

/** Where each runtime listens. Docker and Podman speak the Docker Engine API; CRI-O its inspect API. */
export interface RuntimeSockets {
  docker: string[];
  crio: string[];
}

/** The usual socket paths. */
export const DEFAULT_RUNTIME_SOCKETS: RuntimeSockets = {
  docker: ['/var/run/docker.sock', '/run/podman/podman.sock'],
  crio: ['/var/run/crio/crio.sock'],
};

/** GET a JSON document over a unix socket, with a deadline. */
export function getJsonOverUnixSocket(socketPath: string, path: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path, method: 'GET', timeout: timeoutMs, headers: { host: 'localhost' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`${socketPath}${path}: HTTP ${res.statusCode}`));
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${socketPath}${path}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const K8S_LABELS = {
  podName: 'io.kubernetes.pod.name',
  namespace: 'io.kubernetes.pod.namespace',
  podUid: 'io.kubernetes.pod.uid',
} as const;

/** Pod metadata from CRI labels; the remaining non-`io.kubernetes.` labels are reported as pod labels. */
export function podFromLabels(labels: Record<string, string> | undefined): PodInfo | undefined {
  if (!labels?.[K8S_LABELS.podName]) return undefined;
  const pod: PodInfo = { podName: labels[K8S_LABELS.podName] };
  const ns = labels[K8S_LABELS.namespace];
  const uid = labels[K8S_LABELS.podUid];
  if (ns) pod.namespace = ns;
  if (uid) pod.podUid = uid;
  const rest = Object.entries(labels).filter(
    ([key]) => !key.startsWith('io.kubernetes.') && !key.startsWith('annotation.'),
  );
  if (rest.length > 0) pod.labels = Object.fromEntries(rest);
  return pod;
}

/** Splits `registry/repo:tag@sha256:...` into repository, tag and digest. */
export function splitImage(image: string): { repository: string; tag?: string; digest?: string } {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  const result: { repository: string; tag?: string; digest?: string } = { repository: rest };
  // A colon before the last '/' is a registry port, not a tag.
  if (colon > rest.lastIndexOf('/')) {
    result.repository = rest.slice(0, colon);
    result.tag = rest.slice(colon + 1);
  }
  if (digest) result.digest = digest;
  return result;
}

interface DockerInspect {
  Name?: string;
  Image?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  HostConfig?: { Privileged?: boolean };
  State?: { StartedAt?: string };
  Mounts?: Array<{
    Source?: string;
    Destination?: string;
    Mode?: string;
    RW?: boolean;
    Propagation?: string;
  }>;
}

function isoToEpochNs(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const subMsNs = Number((fraction.padEnd(9, '0').slice(3, 9) || '0').slice(0, 6));
  return (BigInt(ms) * 1_000_000n + BigInt(subMsNs)).toString();
}

/** Maps a Docker Engine API inspect document (Docker, Podman) to container metadata. */
export function metaFromDockerInspect(doc: DockerInspect): ContainerMeta {
  const image = doc.Config?.Image ?? '';
  const parts = splitImage(image);
  const container: ContainerMeta['container'] = {};
  if (doc.Name) container.name = doc.Name.replace(/^\//, '');
  if (image) {
    container.image = image;
    container.imageRepository = parts.repository;
    if (parts.tag) container.imageTag = parts.tag;
  }
  if (parts.digest) container.imageDigest = parts.digest;
  else if (doc.Image?.startsWith('sha256:')) container.imageDigest = doc.Image;
  if (doc.HostConfig?.Privileged !== undefined) container.privileged = doc.HostConfig.Privileged;
  const started = isoToEpochNs(doc.State?.StartedAt);
  if (started) container.startTs = started;
  if (doc.Mounts) {
    container.mounts = doc.Mounts.map((m) => ({
      source: m.Source ?? '',
      dest: m.Destination ?? '',
      mode: m.Mode ?? '',
      rdwr: m.RW ?? false,
      propagation: m.Propagation ?? '',
    }));
  }
  const meta: ContainerMeta = { container };
  const pod = podFromLabels(doc.Config?.Labels ?? undefined);
  if (pod) meta.k8s = pod;
  return meta;
}

interface CrioInspect {
  name?: string;
  image?: string;
  image_ref?: string;
  created_time?: number;
  labels?: Record<string, string>;
  privileged?: boolean;
}

/** Maps CRI-O's `GET /containers/<id>` document to container metadata. */
export function metaFromCrioInspect(doc: CrioInspect): ContainerMeta {
  const container: ContainerMeta['container'] = {};
  if (doc.name) container.name = doc.name.replace(/^\//, '');
  if (doc.image) {
    const parts = splitImage(doc.image);
    container.image = doc.image;
    container.imageRepository = parts.repository;
    if (parts.tag) container.imageTag = parts.tag;
  }
  if (doc.image_ref?.includes('sha256:'))
    container.imageDigest = doc.image_ref.slice(doc.image_ref.indexOf('sha256:'));
  if (doc.privileged !== undefined) container.privileged = doc.privileged;
  if (doc.created_time) container.startTs = String(doc.created_time);
  const meta: ContainerMeta = { container };
  const pod = podFromLabels(doc.labels);
  if (pod) meta.k8s = pod;
  return meta;
}

/**
 * Caches runtime metadata per container id. Lookups never block the event path: the first event
 * of a container starts a fetch and ships with the id only (as Falco's container plugin does until
 * metadata arrives); later events carry the metadata. Failures are cached too, so a container the
 * runtime does not know is asked about at most once per `retryMs`.
 */
export class ContainerMetadataCache {
  readonly #cache: LruCache<string, { meta?: ContainerMeta; at: number }>;
  readonly #inflight = new Set<string>();
  readonly #sockets: RuntimeSockets;
  readonly #timeoutMs: number;
  readonly #retryMs: number;

  constructor(
    options: { sockets?: RuntimeSockets; maxEntries?: number; timeoutMs?: number; retryMs?: number } = {},
  ) {
    this.#sockets = options.sockets ?? DEFAULT_RUNTIME_SOCKETS;
    this.#cache = new LruCache(options.maxEntries ?? 1024);
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#retryMs = options.retryMs ?? 60_000;
  }

  /** Runtime sockets present on this host (for the startup log and the README's blind spots). */
  availableSockets(): string[] {
    return [...this.#sockets.docker, ...this.#sockets.crio].filter((path) => existsSync(path));
  }

  /** Cached metadata, or undefined while (or after failing) fetching it. */
  get(id: string, type: string): ContainerMeta | undefined {
    const hit = this.#cache.get(id);
    if (hit && (hit.meta || Date.now() - hit.at < this.#retryMs)) return hit.meta;
    if (!this.#inflight.has(id)) void this.fetch(id, type);
    return hit?.meta;
  }

  /** Fetches metadata now (also used by tests and at startup). */
  async fetch(id: string, type: string): Promise<ContainerMeta | undefined> {
    this.#inflight.add(id);
    try {
      const meta = await this.#lookup(id, type);
      this.#cache.set(id, meta ? { meta, at: Date.now() } : { at: Date.now() });
      return meta;
    } finally {
      this.#inflight.delete(id);
    }
  }

  async #lookup(id: string, type: string): Promise<ContainerMeta | undefined> {
    const crioFirst = type === 'cri-o';
    const attempts: Array<() => Promise<ContainerMeta | undefined>> = [];
    const docker = async () => {
      for (const socket of this.#sockets.docker) {
        if (!existsSync(socket)) continue;
        try {
          return metaFromDockerInspect(
            (await getJsonOverUnixSocket(socket, `/containers/${id}/json`, this.#timeoutMs)) as DockerInspect,
          );
        } catch {
          // Not this runtime's container; try the next socket.
        }
      }
      return undefined;
    };
    const crio = async () => {
      for (const socket of this.#sockets.crio) {
        if (!existsSync(socket)) continue;
        try {
          return metaFromCrioInspect(
            (await getJsonOverUnixSocket(socket, `/containers/${id}`, this.#timeoutMs)) as CrioInspect,
          );
        } catch {
          // Not known to CRI-O.
        }
      }
      return undefined;
    };
    attempts.push(...(crioFirst ? [crio, docker] : [docker, crio]));
    for (const attempt of attempts) {
      const meta = await attempt();
      if (meta) return meta;
    }
    return undefined;
  }
}
