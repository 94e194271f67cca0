const utf8 = new TextDecoder();

/**
 * Reads protobuf wire format: tags, varints and length-delimited fields, bounds-checked (a
 * length past the end or a varint past ten bytes throws a `RangeError`).
 *
 * @example
 * const r = new WireReader(bytes);
 * while (r.pos < r.end) { const tag = r.varint32(); ... }
 */
export class WireReader {
  pos = 0;
  readonly end: number;

  constructor(readonly bytes: Uint8Array) {
    this.end = bytes.length;
  }

  /** A varint's low 32 bits, as a signed int32 (how protobuf reads int32, enums and tags). */
  varint32(): number {
    const b = this.bytes;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new RangeError("premature end of a varint");
      const byte = b[this.pos++]!;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
    throw new RangeError("a varint longer than 10 bytes");
  }

  /** A varint as an int64, in a number (exact up to 2^53; a negative one from its two's complement). */
  int64(): number {
    const b = this.bytes;
    let low = 0;
    let high = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new RangeError("premature end of a varint");
      const byte = b[this.pos++]!;
      if (shift < 28) low |= (byte & 0x7f) << shift;
      else if (shift === 28) {
        low |= (byte & 0x0f) << 28;
        high |= (byte & 0x7f) >> 4;
      } else high |= (byte & 0x7f) << (shift - 32);
      if (byte < 0x80) {
        return high * 2 ** 32 + (low >>> 0);
      }
    }
    throw new RangeError("a varint longer than 10 bytes");
  }

  /** The end of a length-delimited field that starts here (its length read). */
  delimited(): number {
    const length = this.varint32() >>> 0;
    const end = this.pos + length;
    if (end > this.end) throw new RangeError(`a field of ${length} bytes past the end of the message`);
    return end;
  }

  string(): string {
    const end = this.delimited();
    const b = this.bytes;
    const start = this.pos;
    this.pos = end;
    if (end - start < 32) {
      let s = "";
      for (let i = start; i < end; i++) {
        const c = b[i]!;
        if (c >= 0x80) return utf8.decode(b.subarray(start, end));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(b.subarray(start, end));
  }

  /** A copy of a byte field, a plain `Uint8Array` even from a `Buffer` (a view would keep the whole message alive). */
  bytesCopy(): Uint8Array {
    const end = this.delimited();
    const value = new Uint8Array(this.bytes.subarray(this.pos, end));
    this.pos = end;
    return value;
  }

  /** Skips a field of `wireType` (groups are refused: the protocol has none). */
  skip(wireType: number): void {
    if (wireType === 0) this.varint32();
    else if (wireType === 2) this.pos = this.delimited();
    else if (wireType === 1 || wireType === 5) {
      this.pos += wireType === 1 ? 8 : 4;
      if (this.pos > this.end) throw new RangeError("premature end of a fixed field");
    } else throw new RangeError(`unsupported wire type ${wireType}`);
  }
}
