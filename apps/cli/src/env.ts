/** The CLI's environment, read and validated in one place. */
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';

export interface CliEnv {
  /** Host name put in alerts: FALCO_HOSTNAME when set (as Falco does), else the machine's. */
  hostname: string;
  /**
   * Where compiled rules are kept between runs (src/compile-cache.ts): PEREGRINE_COMPILE_CACHE,
   * `off` for none; by default `$XDG_CACHE_HOME/peregrine/compile` (`~/.cache/...`).
   */
  compileCacheDir: string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const h = env.FALCO_HOSTNAME;
  const c = env.PEREGRINE_COMPILE_CACHE;
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache');
  return {
    hostname: h !== undefined && h !== '' ? h : hostname(),
    compileCacheDir:
      c === 'off' ? undefined : c !== undefined && c !== '' ? c : join(base, 'peregrine/compile'),
  };
}
