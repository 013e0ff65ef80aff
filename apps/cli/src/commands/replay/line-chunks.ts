import { open } from 'node:fs/promises';

/**
 * Cuts a byte stream into chunks of whole lines (each chunk ends at a newline, but the last one
 * may not), without readline: a line is never decoded before its chunk is whole, so a UTF-8
 * sequence is never split, and no string is built per line here. A chunk is one piece of the
 * stream with the line begun in the piece before it, so chunks are all about the pieces' size.
 */
export async function* lineChunks(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  // The pieces of a line begun before (copies), joined once the line ends: joining them at every
  // piece copied a long line once per piece (quadratic in its length).
  let carry: Uint8Array[] = [];
  for await (const piece of input) {
    if (piece.length === 0) continue;
    const last = piece.lastIndexOf(10);
    if (last < 0) {
      carry.push(piece.slice());
      continue;
    }
    const whole = piece.subarray(0, last + 1);
    yield carry.length > 0 ? concat([...carry, whole]) : whole;
    carry = last + 1 < piece.length ? [piece.slice(last + 1)] : [];
  }
  if (carry.length > 0) yield concat(carry);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `lineChunks` of a file, read into one buffer that is used again for every chunk: each chunk is
 * valid only until the next one is asked for (a caller keeping one copies it). A new 1 MiB
 * buffer a chunk, from the read stream and from joining the carried line to it, made V8 collect
 * its young generation every few chunks for the external memory.
 */
export async function* fileLineChunks(path: string, size: number): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    let buf = Buffer.allocUnsafeSlow(size);
    // The bytes at the start of `buf` carried over from the read before: a line begun there.
    let carry = 0;
    for (;;) {
      if (carry === buf.length) {
        // A line longer than the buffer.
        const bigger = Buffer.allocUnsafeSlow(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null);
      if (bytesRead === 0) break;
      const filled = carry + bytesRead;
      const last = buf.lastIndexOf(10, filled - 1);
      if (last < carry) {
        carry = filled;
        continue;
      }
      yield buf.subarray(0, last + 1);
      buf.copy(buf, 0, last + 1, filled);
      carry = filled - last - 1;
    }
    if (carry > 0) yield buf.subarray(0, carry);
  } finally {
    await fh.close();
  }
}
