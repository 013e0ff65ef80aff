import type { WireContainerInfo as ContainerInfo, WirePodInfo as PodInfo } from '@peregrine/protocol';
import type { CgroupContainer } from './cgroup.js';
import type { ContainerMeta, ContainerMetadataCache } from './container-runtime.js';
import { LruCache } from './lru-cache.js';

/** The container and pod objects events of one container share. */
export interface SharedContainer {
  from: CgroupContainer;
  meta: ContainerMeta | undefined;
  container: ContainerInfo;
  k8s: PodInfo | undefined;
}

/**
 * One container object (and pod object) per container while its metadata stays the same, so
 * the events of a container share them (the shipper writes each once per batch).
 */
export class SharedContainers {
  readonly #containers: ContainerMetadataCache;
  readonly #objects: LruCache<string, SharedContainer>;

  constructor(containers: ContainerMetadataCache, maxContainers: number) {
    this.#containers = containers;
    this.#objects = new LruCache(maxContainers);
  }

  /** The shared objects of a process's container (rebuilt when its runtime metadata changes). */
  get(from: CgroupContainer): SharedContainer {
    const meta: ContainerMeta | undefined = this.#containers.get(from.id, from.type);
    const cached = this.#objects.get(from.id);
    if (
      cached &&
      cached.meta === meta &&
      (cached.from === from || (cached.from.type === from.type && cached.from.podUid === from.podUid))
    ) {
      return cached;
    }
    const shared: SharedContainer = {
      from,
      meta,
      container: { id: from.id, type: from.type, ...(meta?.container ?? {}) },
      k8s: meta?.k8s ?? (from.podUid ? { podUid: from.podUid } : undefined),
    };
    this.#objects.set(from.id, shared);
    return shared;
  }
}
