/** The CLI's environment, read and validated in one place. */
import { hostname } from 'node:os';

export interface CliEnv {
  /** Host name put in alerts: FALCO_HOSTNAME when set (as Falco does), else the machine's. */
  hostname: string;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  const h = env.FALCO_HOSTNAME;
  return { hostname: h !== undefined && h !== '' ? h : hostname() };
}
