#!/usr/bin/env node
/** The `peregrine` command: dispatches to subcommands, maps errors to exit codes. */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { UsageError } from './args.js';
import { listPlugins, PLUGINS_USAGE } from './commands/list-plugins.js';
import { REPLAY_USAGE, replayEvents } from './commands/replay-events.js';
import { TEST_USAGE, testRules } from './commands/test-rules.js';
import { type Io, VALIDATE_USAGE, validateRules } from './commands/validate-rules.js';
import { readEnv } from './env.js';
import { RulesReadError } from './read-rules.js';

const USAGE = `usage: peregrine <command>

commands:
  rules validate [--json] FILE|DIR...    validate rules files as falco -V does
  rules test [--junit FILE] DIR          run a rules folder's tests (DIR/tests/*.yaml)
  replay -r RULES... EVENTS.ndjson       replay recorded events through rules, printing alerts
  plugins                                the Falco plugins built in (required_plugin_versions)

${VALIDATE_USAGE}
${TEST_USAGE}
${REPLAY_USAGE}
${PLUGINS_USAGE}
`;

/** Run the CLI; resolves to the exit code (0 ok, 1 rules/input errors, 2 usage errors). */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  const [cmd, sub, ...rest] = argv;
  try {
    if (cmd === 'rules' && sub === 'validate') return await validateRules(rest, io, readEnv());
    if (cmd === 'rules' && sub === 'test') return await testRules(rest, io, readEnv());
    if (cmd === 'plugins') return listPlugins(argv.slice(1), io);
    if (cmd === 'replay') return await replayEvents(argv.slice(1), io, readEnv());
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      io.out(USAGE);
      return cmd === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${argv.join(' ')}`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof RulesReadError) {
      io.err(`Error: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'ENOENT' || err?.code === 'EACCES' || err?.code === 'EISDIR') {
      io.err(`Error: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
}

const io: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

/** True when this module is the process entry point (also through the npm bin symlink). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
