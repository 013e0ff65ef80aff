/** A container identified from a process's cgroup paths. */
export interface CgroupContainer {
  /** Full 64-hex id. */
  id: string;
  /** `docker`, `containerd`, `cri-o`, `podman`, or `cri` when only the kubepods layout says it is a pod container. */
  type: string;
  /** Kubernetes pod uid when the cgroup path carries it. */
  podUid?: string;
}

// Ordered: the runtime-specific scope names first, then the bare layouts that name no runtime.
const PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/(?:^|\/)docker-([0-9a-f]{64})\.scope(?:\/|$)/, 'docker'],
  [/(?:^|\/)cri-containerd-([0-9a-f]{64})\.scope(?:\/|$)/, 'containerd'],
  [/:cri-containerd:([0-9a-f]{64})(?:\/|$)/, 'containerd'],
  [/(?:^|\/)crio-(?!conmon-)([0-9a-f]{64})(?:\.scope)?(?:\/|$)/, 'cri-o'],
  [/(?:^|\/)libpod-(?!conmon-)([0-9a-f]{64})(?:\.scope)?(?:\/|$)/, 'podman'],
  [/(?:^|\/)docker\/([0-9a-f]{64})(?:\/|$)/, 'docker'],
  [/(?:^|\/)containerd\/([0-9a-f]{64})(?:\/|$)/, 'containerd'],
  [/\/kubepods[^\n]*\/([0-9a-f]{64})(?:\/|$)/, 'cri'],
];

const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;

/** Finds the container of a process from the text of /proc/PID/cgroup; undefined for host processes. */
export function containerFromCgroup(cgroupText: string): CgroupContainer | undefined {
  for (const line of cgroupText.split('\n')) {
    // hierarchy-id:controllers:path; the path may itself contain ':' (cri-containerd systemd slices).
    const second = line.indexOf(':', line.indexOf(':') + 1);
    if (second < 0) continue;
    const path = line.slice(second + 1);
    for (const [pattern, type] of PATTERNS) {
      const match = pattern.exec(path);
      if (!match?.[1]) continue;
      const container: CgroupContainer = { id: match[1], type };
      const pod = POD_UID.exec(path)?.[1];
      if (pod) container.podUid = pod.replaceAll('_', '-');
      return container;
    }
  }
  return undefined;
}
