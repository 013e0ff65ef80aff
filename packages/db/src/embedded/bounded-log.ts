import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

/**
 * An append-only log file that never grows past `maxBytes`: the full file becomes `<file>.1`
 * (replacing the previous one) and a new one starts. Keeps its last lines for error messages.
 * Writes are synchronous: PostgreSQL logs little, and lines must not be lost on exit.
 */
export class BoundedLog {
  private fd: number;
  private size: number;
  private recent: string[] = [];
  private closed = false;

  constructor(
    readonly file: string,
    private readonly maxBytes = 10 * 1024 * 1024,
  ) {
    this.fd = openSync(file, 'a', 0o600);
    this.size = fstatSync(this.fd).size;
  }

  /** Ignored once closed (a child's last output may arrive after its exit). */
  write(text: string | Buffer): void {
    if (this.closed) return;
    const data = typeof text === 'string' ? Buffer.from(text) : text;
    if (this.size > 0 && this.size + data.length > this.maxBytes) {
      closeSync(this.fd);
      renameSync(this.file, `${this.file}.1`);
      this.fd = openSync(this.file, 'a', 0o600);
      this.size = 0;
    }
    writeSync(this.fd, data);
    this.size += data.length;
    this.recent.push(...data.toString().split('\n').filter(Boolean));
    if (this.recent.length > 20) this.recent.splice(0, this.recent.length - 20);
  }

  /** The last lines written, for an error message. */
  tail(lines = 8): string {
    return this.recent.slice(-lines).join('\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
