/**
 * Cuts a byte stream into chunks of whole lines (each chunk ends at a newline, but the last one
 * may not), without readline: a line is never decoded before its chunk is whole, so a UTF-8
 * sequence is never split, and no string is built per line here.
 */
export async function* lineChunks(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array | undefined;
  for await (const piece of input) {
    if (piece.length === 0) continue;
    let rest = piece;
    if (carry) {
      const first = piece.indexOf(10);
      if (first < 0) {
        carry = concat(carry, piece);
        continue;
      }
      // The line begun in the previous piece, joined alone: the bulk of this piece is not copied.
      yield concat(carry, piece.subarray(0, first + 1));
      carry = undefined;
      rest = piece.subarray(first + 1);
    }
    const last = rest.lastIndexOf(10);
    if (last < 0) {
      if (rest.length) carry = rest.slice();
      continue;
    }
    if (last + 1 < rest.length) carry = rest.slice(last + 1);
    if (last >= 0) yield rest.subarray(0, last + 1);
  }
  if (carry?.length) yield carry;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
