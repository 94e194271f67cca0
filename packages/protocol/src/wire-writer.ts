const utf8 = new TextEncoder();

/** Bytes a varint of `n` takes (0 ≤ n < 2^53). */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Bytes of `s` in UTF-8, as `TextEncoder` writes it (a lone surrogate as U+FFFD, 3 bytes). */
export function utf8Size(s: string): number {
  let size = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) size += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size += 2;
      i++;
    } else size += 2;
  }
  return size;
}

/** Bytes of a length-delimited field (tag under 16 + length + `size` bytes of content). */
export const delimitedSize = (tagSize: number, size: number): number => tagSize + varintSize(size) + size;

/**
 * Writes protobuf wire format into one buffer sized beforehand (the encoders compute each
 * message's size first), so encoding allocates the result and nothing else.
 *
 * @example
 * const w = new WireWriter(1 + 1 + utf8Size("a"));
 * w.tag(1, 2); w.string("a", 1); // w.bytes is 0a 01 61
 */
export class WireWriter {
  readonly bytes: Uint8Array;
  private pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
  }

  /** The bytes written (all of them when the size was right). */
  finish(): Uint8Array {
    if (this.pos !== this.bytes.length) throw new Error(`WireWriter: wrote ${this.pos} of ${this.bytes.length} bytes`);
    return this.bytes;
  }

  varint(n: number): void {
    const b = this.bytes;
    while (n >= 128) {
      b[this.pos++] = (n % 128) | 128;
      n = Math.floor(n / 128);
    }
    b[this.pos++] = n;
  }

  /** A varint of an int64 below zero: ten bytes, two's complement. */
  negativeVarint(n: number): void {
    let v = BigInt.asUintN(64, BigInt(n));
    const b = this.bytes;
    while (v >= 128n) {
      b[this.pos++] = Number(v & 127n) | 128;
      v >>= 7n;
    }
    b[this.pos++] = Number(v);
  }

  tag(field: number, wireType: 0 | 2): void {
    this.varint(field * 8 + wireType);
  }

  /** A string's length and bytes; `size` is its `utf8Size`. */
  string(s: string, size: number): void {
    this.varint(size);
    const b = this.bytes;
    if (size === s.length) {
      for (let i = 0; i < size; i++) b[this.pos++] = s.charCodeAt(i);
      return;
    }
    utf8.encodeInto(s, b.subarray(this.pos, this.pos + size));
    this.pos += size;
  }

  /** A byte string's length and bytes. */
  raw(value: Uint8Array): void {
    this.varint(value.length);
    this.bytes.set(value, this.pos);
    this.pos += value.length;
  }
}
