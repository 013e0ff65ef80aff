/** Plugin version requirements (spec §1.4), checked after all files are read. */
import type { PluginRequirement, PluginVersionInfo } from './model.js';
import { isCompatible, parseSemver } from './version.js';

/** A plugin the runtime provides. */
export interface LoadedPlugin {
  name: string;
  version: string;
}

/**
 * Peregrine's built-in equivalents of Falco plugins. The `container` plugin's fields
 * (`container.*`, `k8s.*`) are implemented by the syscall source itself.
 */
export const BUILTIN_PLUGINS: readonly LoadedPlugin[] = [{ name: 'container', version: '0.4.0' }];

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
