/** Levels in increasing verbosity. */
const LEVELS = { error: 0, warn: 1, info: 2, debug: 3 } as const;

/** The sensor's log: one line per message on stderr (stdout is for alerts in standalone mode). */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** A logger writing `<iso time> <level> <message>` lines at or below `level`. */
export function createLogger(
  level: keyof typeof LEVELS,
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const max = LEVELS[level];
  const at = (name: keyof typeof LEVELS) => (message: string) => {
    if (LEVELS[name] <= max) write(`${new Date().toISOString()} ${name} peregrine-sensor: ${message}\n`);
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
