/**
 * `peregrine plugins`: the Falco plugins Peregrine's built-in sources stand in for (as
 * `falco --list-plugins` lists loaded plugins), so a rules file's `required_plugin_versions` can be
 * read against them.
 */
import { BUILTIN_PLUGINS } from '@peregrine/engine';
import { UsageError } from '../args.js';
import type { Io } from './validate-rules.js';

export const PLUGINS_USAGE = `usage: peregrine plugins
  lists the Falco plugins built into Peregrine: name, version (what required_plugin_versions is
  checked against), the event source that provides it and what it reads`;

export function listPlugins(argv: readonly string[], io: Io): number {
  if (argv.length > 0) throw new UsageError(PLUGINS_USAGE);
  io.out(`${BUILTIN_PLUGINS.length} Plugins built in:\n`);
  for (const p of BUILTIN_PLUGINS) {
    io.out(`Name: ${p.name}\nVersion: ${p.version}\nSource: ${p.source}\nProvides: ${p.provides}\n\n`);
  }
  return 0;
}
