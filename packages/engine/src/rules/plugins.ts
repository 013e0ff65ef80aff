/** Plugin version requirements (spec §1.4), checked after all files are read. */
import type { PluginRequirement, PluginVersionInfo } from './model.js';
import { isCompatible, parseSemver } from './version.js';

/** A plugin the runtime provides. */
export interface LoadedPlugin {
  name: string;
  version: string;
}

/** A Falco plugin that one of Peregrine's built-in sources stands in for. */
export interface BuiltinPlugin extends LoadedPlugin {
  /** The event source it provides (`syscall` for the container plugin's field extraction). */
  source: string;
  /** What Peregrine implements in its place, for the CLI and the console. */
  provides: string;
}

/**
 * Peregrine's built-in equivalents of Falco plugins, so that upstream rules files'
 * `required_plugin_versions` are answered as Falco answers them with those plugins loaded. Each
 * version is the one the upstream rules file asks for at falcosecurity/plugins 0b3cbd8 (the files
 * in testdata/falco/plugin-rules, which load and run against these sources). Plugins whose input
 * Peregrine does not read (k8saudit-gke/-eks/-aks/-ovh: cloud log pipelines) are not claimed, so
 * a file that needs only them is refused with Falco's message.
 */
export const BUILTIN_PLUGINS: readonly BuiltinPlugin[] = [
  {
    name: 'container',
    version: '0.4.0',
    source: 'syscall',
    provides: 'container.* and k8s.* fields of syscall events',
  },
  {
    name: 'k8saudit',
    version: '0.18.0',
    source: 'k8s_audit',
    provides: 'Kubernetes audit webhook events (ka.*, jevt.*)',
  },
  {
    name: 'cloudtrail',
    version: '0.10.0',
    source: 'aws_cloudtrail',
    provides: 'AWS CloudTrail records (ct.*, s3.*, ec2.*)',
  },
  { name: 'github', version: '0.8.0', source: 'github', provides: 'GitHub webhook events (github.*)' },
  { name: 'okta', version: '0.11.0', source: 'okta', provides: 'Okta System Log events (okta.*)' },
  { name: 'gcpaudit', version: '0.3.0', source: 'gcp_auditlog', provides: 'GCP audit log entries (gcp.*)' },
  {
    name: 'json',
    version: '0.7.0',
    source: 'json',
    provides: 'json.value[/pointer] and jevt.* on any JSON event',
  },
];

/** The built-in plugin a source stands for (undefined for sources without one). */
export function pluginOfSource(source: string): BuiltinPlugin | undefined {
  return BUILTIN_PLUGINS.find((p) => p.source === source && p.name !== 'container');
}

export interface PluginCheck {
  satisfied: boolean;
  /** Falco's message for the first unsatisfied group. */
  message?: string;
  /** The group that failed (for its context). */
  failed?: PluginVersionInfo;
}

/** Check every requirement group against the loaded plugins, as Falco does. */
export function checkPluginRequirements(
  groups: readonly { alternatives: readonly PluginRequirement[] }[],
  plugins: readonly LoadedPlugin[],
): PluginCheck {
  for (const group of groups) {
    const seen = new Set<string>();
    for (const req of group.alternatives) {
      if (seen.has(req.name)) {
        return {
          satisfied: false,
          message: `Defined multiple alternative version requirements for plugin '${req.name}'`,
          failed: group as PluginVersionInfo,
        };
      }
      seen.add(req.name);
    }
    let found = false;
    for (const req of group.alternatives) {
      const p = plugins.find((x) => x.name === req.name);
      if (!p) continue;
      found = true;
      const have = parseSemver(p.version);
      const want = parseSemver(req.version);
      if (!have || !want || !isCompatible(have, want)) {
        return {
          satisfied: false,
          message: `Plugin '${p.name}' version '${p.version}' is not compatible with required plugin version '${req.version}'`,
          failed: group as PluginVersionInfo,
        };
      }
      break;
    }
    if (!found) {
      const names = group.alternatives.map((r) => `${r.name} (>= ${r.version})`).join(', ');
      return {
        satisfied: false,
        message: `Plugin requirement not satisfied, must load one of: ${names}`,
        failed: group as PluginVersionInfo,
      };
    }
  }
  return { satisfied: true };
}
