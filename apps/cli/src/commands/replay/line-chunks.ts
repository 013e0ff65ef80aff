/**
 * Cuts a byte stream into chunks of whole lines (each chunk ends at a newline, but the last one
 * may not), without readline: a line is never decoded before its chunk is whole, so a UTF-8
 * sequence is never split, and no string is built per line here. A chunk is one piece of the
 * stream with the line begun in the piece before it, so chunks are all about the pieces' size.
 */
export async function* lineChunks(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array | undefined;
  for await (const piece of input) {
    if (piece.length === 0) continue;
    const last = piece.lastIndexOf(10);
    if (last < 0) {
      carry = carry ? concat(carry, piece) : piece.slice();
      continue;
    }
    const whole = piece.subarray(0, last + 1);
    yield carry ? concat(carry, whole) : whole;
    carry = last + 1 < piece.length ? piece.slice(last + 1) : undefined;
  }
  if (carry?.length) yield carry;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
