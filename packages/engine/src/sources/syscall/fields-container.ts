import type { ContainerInfo } from '../../events/syscall-event.js';
import type { FieldSpec } from '../../fields/define.js';
import { compileGlob } from '../../condition/glob.js';
import { nsDiff, nsToBigInt } from '../../fields/values.js';
import { type Ev, KEY_REQ, plain, withArg } from './common.js';

type Mount = NonNullable<ContainerInfo['mounts']>[number];
type MountPart = (m: Mount) => string;

/**
 * `container.mount*[arg]` selection: a number is an index into the mount list, anything else a
 * path or glob matched against `matchOn` of each mount (first match wins). No match yields the
 * string `none` (a real value, not a missing one).
 */
function mountField(name: string, desc: string, matchOn: MountPart, render: MountPart): FieldSpec {
  return withArg(
    name,
    'CHARBUF',
    desc,
    KEY_REQ,
    'mount index, or a path/glob to select the mount',
    (arg) => {
      const a = arg as string;
      let select: (mounts: readonly Mount[]) => Mount | undefined;
      if (/^\d+$/.test(a)) {
        const i = Number(a);
        select = (mounts) => mounts[i];
      } else {
        const matches = compileGlob(a);
        select = (mounts) => mounts.find((m) => matches(matchOn(m)));
      }
      return (e) => {
        const c = e.container;
        if (!c) return undefined;
        const m = select(c.mounts ?? []);
        return m === undefined ? 'none' : render(m);
      };
    },
    { example: `${name}[/etc]` },
  );
}

const mountText = (m: Mount): string => `${m.source}:${m.dest}:${m.mode}:${m.rdwr}:${m.propagation}`;

/** Container fields on host processes: id and name read `host`, the rest are missing. */
const c = (get: (c: ContainerInfo, e: Ev) => unknown) => (e: Ev) =>
  e.container === undefined ? undefined : (get(e.container, e) as never);

export const CONTAINER_FIELDS: FieldSpec[] = [
  plain('container.id', 'CHARBUF', "Container ID (12 characters), or 'host' for host processes.", (e) =>
    e.container ? e.container.id.slice(0, 12) : 'host',
  ),
  plain('container.full_id', 'CHARBUF', "Full container ID (64 hex characters), or 'host'.", (e) =>
    e.container ? e.container.id : 'host',
  ),
  plain('container.name', 'CHARBUF', "Container name, or 'host'.", (e) =>
    e.container ? e.container.name : 'host',
  ),
  plain(
    'container.image',
    'CHARBUF',
    'Container image (repository:tag).',
    c((x) => x.image),
  ),
  plain(
    'container.image.id',
    'CHARBUF',
    'Container image ID; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain(
    'container.image.repository',
    'CHARBUF',
    'Image repository (e.g. docker.io/library/nginx).',
    c((x) => x.imageRepository),
  ),
  plain(
    'container.image.tag',
    'CHARBUF',
    'Image tag.',
    c((x) => x.imageTag),
  ),
  plain(
    'container.image.digest',
    'CHARBUF',
    'Image digest (sha256:...).',
    c((x) => x.imageDigest),
  ),
  plain(
    'container.type',
    'CHARBUF',
    "Container runtime: docker, containerd, cri-o, podman...; 'host' for host processes.",
    (e) => (e.container ? e.container.type : 'host'),
  ),
  plain(
    'container.privileged',
    'BOOL',
    'True if the container runs privileged.',
    c((x) => x.privileged),
  ),
  plain(
    'container.mounts',
    'CHARBUF',
    'All mounts as space-separated source:dest:mode:rdwr:propagation entries.',
    c((x) => (x.mounts === undefined ? undefined : x.mounts.map(mountText).join(' '))),
  ),
  mountField(
    'container.mount',
    'One mount (source:dest:mode:rdwr:propagation) by index or source path/glob.',
    (m) => m.source,
    mountText,
  ),
  mountField(
    'container.mount.source',
    'Source of a mount selected by index or destination path/glob.',
    (m) => m.dest,
    (m) => m.source,
  ),
  mountField(
    'container.mount.dest',
    'Destination of a mount selected by index or source path/glob.',
    (m) => m.source,
    (m) => m.dest,
  ),
  mountField(
    'container.mount.mode',
    'Mode of a mount selected by index or source path/glob.',
    (m) => m.source,
    (m) => m.mode,
  ),
  mountField(
    'container.mount.rdwr',
    'Read/write flag of a mount selected by index or source path/glob.',
    (m) => m.source,
    (m) => String(m.rdwr),
  ),
  mountField(
    'container.mount.propagation',
    'Propagation of a mount selected by index or source path/glob.',
    (m) => m.source,
    (m) => m.propagation,
  ),
  plain(
    'container.start_ts',
    'ABSTIME',
    'Container start time (epoch ns).',
    c((x) => nsToBigInt(x.startTs)),
  ),
  plain(
    'container.duration',
    'RELTIME',
    'Nanoseconds since the container started.',
    c((x, e) => nsDiff(e.ts, x.startTs)),
  ),
  plain(
    'container.ip',
    'CHARBUF',
    'Container IP address; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain(
    'container.cni.json',
    'CHARBUF',
    'CNI result of the container; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain(
    'container.healthcheck',
    'CHARBUF',
    'Health check command; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain(
    'container.liveness_probe',
    'CHARBUF',
    'Liveness probe command; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain(
    'container.readiness_probe',
    'CHARBUF',
    'Readiness probe command; not reported by the sensor (missing).',
    () => undefined,
  ),
  plain('k8s.pod.name', 'CHARBUF', 'Kubernetes pod name.', (e) => e.k8s?.podName),
  plain('k8s.pod.uid', 'CHARBUF', 'Kubernetes pod UID.', (e) => e.k8s?.podUid),
  plain('k8s.pod.id', 'CHARBUF', 'Deprecated alias of k8s.pod.uid.', (e) => e.k8s?.podUid, { hidden: true }),
  plain('k8s.ns.name', 'CHARBUF', 'Kubernetes namespace of the pod.', (e) => e.k8s?.namespace),
  withArg(
    'k8s.pod.label',
    'CHARBUF',
    'Value of one pod label (k8s.pod.label[app] or k8s.pod.label.app).',
    { kind: 'key', required: true, dotted: true },
    'label key',
    (arg) => {
      const key = arg as string;
      return (e) => e.k8s?.labels?.[key];
    },
    { example: 'k8s.pod.label[app]' },
  ),
  plain('k8s.pod.labels', 'CHARBUF', 'All pod labels as (key:value,key2:value2).', (e) => {
    const l = e.k8s?.labels;
    if (!l) return undefined;
    return `(${Object.entries(l)
      .map(([k, v]) => `${k}:${v}`)
      .join(',')})`;
  }),
];
