/**
 * What a failed check's output says failed, for the end of `npm test`'s summary: CI shows only the
 * tail of the log, and a check's own output can run to thousands of lines before it.
 *
 * Recognised: vitest's failed files and tests (`FAIL`, `×`), the first line of each error,
 * vitest's timeouts, tsc's diagnostics (`error TS...`) and biome's (`file:line:col rule ━━━`).
 */
const FAILURE_LINE =
  /(^|\s)(FAIL|×|✗)\s|\b(AssertionError|TypeError|RangeError|ReferenceError|SyntaxError|TimeoutError|Error)\b:|Test timed out|error TS\d+|^\S+(:\d+:\d+)? [\w/]+( +[A-Z]+)* +━|Found \d+ (errors?|warnings?)\./;
const ANSI = /\x1b\[[0-9;]*m/g;

export class FailureDigest {
  /** @type {string[]} */
  #lines = [];
  #seen = new Set();

  /** @param {string} line one line of the check's output, colours and all */
  add(line) {
    const plain = line.replace(ANSI, '').trim();
    if (!FAILURE_LINE.test(plain) || this.#seen.has(plain)) return;
    this.#seen.add(plain);
    this.#lines.push(plain);
  }

  /**
   * @param {number} max lines at most
   * @returns {string[]} the recognised lines in order, cut to 240 characters, and how many more
   */
  lines(max) {
    if (this.#lines.length === 0) return ['(no failure line recognised: see its output above)'];
    const shown = this.#lines.slice(0, max).map((l) => (l.length > 240 ? `${l.slice(0, 239)}…` : l));
    if (this.#lines.length > max) shown.push(`... ${this.#lines.length - max} more above`);
    return shown;
  }
}
