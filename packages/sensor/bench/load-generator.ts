import { closeSync, openSync, writeFileSync } from 'node:fs';

/**
 * Generates openat syscalls at a target rate: `node load-generator.js <events/s> <seconds> <path>`.
 * Each open/close pair is one traced openat. Prints `{"done": N, "seconds": S}` when finished, N
 * counting every openat of the file.
 */
const [rateArg, secondsArg, pathArg] = process.argv.slice(2);
const path = pathArg ?? '';
const rate = Number(rateArg);
const seconds = Number(secondsArg);
if (!path || !(rate > 0) || !(seconds > 0)) {
  process.stderr.write('usage: load-generator <events/s> <seconds> <path>\n');
  process.exit(2);
}
writeFileSync(path, 'x');
const started = process.hrtime.bigint();
let done = 0;
function tick(): void {
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const target = Math.min(rate * seconds, Math.floor(rate * elapsed));
  while (done < target) {
    closeSync(openSync(path, 'r'));
    done++;
  }
  if (elapsed >= seconds) {
    // +1: the writeFileSync that created the file is an openat of it too.
    process.stdout.write(`${JSON.stringify({ done: done + 1, seconds: elapsed })}\n`);
    return;
  }
  setTimeout(tick, 2);
}
tick();
