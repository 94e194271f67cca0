import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { StatefunError } from "./errors.js";

/** StateFun's built-in type names. */
export const BuiltinTypeNames = {
  bool: "io.statefun.types/bool",
  int: "io.statefun.types/int",
  long: "io.statefun.types/long",
  float: "io.statefun.types/float",
  double: "io.statefun.types/double",
  string: "io.statefun.types/string",
} as const;

/**
 * Wire codecs of StateFun's built-in types: each is a protobuf message with a single field
 * `value = 1` (bool, sfixed32, sfixed64, float, double, string). A default value encodes to
 * zero bytes, as protobuf does.
 */
export interface WrapperCodec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

function wrapper<T>(
  name: string,
  wire: WireType,
  isDefault: (v: T) => boolean,
  write: (w: BinaryWriter, v: T) => void,
  read: (r: BinaryReader) => T,
  zero: T,
): WrapperCodec<T> {
  return {
    encode(value) {
      if (isDefault(value)) return new Uint8Array(0);
      const w = new BinaryWriter();
      w.tag(1, wire);
      write(w, value);
      return w.finish();
    },
    decode(bytes) {
      let result = zero;
      try {
        const r = new BinaryReader(bytes);
        while (r.pos < r.len) {
          const [field, wt] = r.tag();
          if (field === 1 && wt === wire) result = read(r);
          else r.skip(wt);
        }
      } catch (cause) {
        throw new StatefunError("STATEFUN_BAD_MESSAGE", `invalid ${name} bytes: ${String(cause)}`, { cause });
      }
      return result;
    },
  };
}

// Fixed-width types take a fast path for their usual encoding (a one-byte tag and the
// little-endian value): they are on the hot path of every counter. Any other valid encoding
// (unknown fields, a repeated value) goes through the protobuf reader.
function fixed<T>(
  general: WrapperCodec<T>,
  tag: number,
  width: 4 | 8,
  write: (d: DataView, v: T) => void,
  read: (d: DataView) => T,
  isDefault: (v: T) => boolean,
): WrapperCodec<T> {
  const scratch = new DataView(new ArrayBuffer(8));
  const scratchBytes = new Uint8Array(scratch.buffer, 0, width);
  return {
    encode(value) {
      if (isDefault(value)) return new Uint8Array(0);
      write(scratch, value);
      const bytes = new Uint8Array(1 + width);
      bytes[0] = tag;
      bytes.set(scratchBytes, 1);
      return bytes;
    },
    decode(bytes) {
      if (bytes.length === 1 + width && bytes[0] === tag) {
        for (let i = 0; i < width; i++) scratchBytes[i] = bytes[i + 1]!;
        return read(scratch);
      }
      return general.decode(bytes);
    },
  };
}

export const BoolCodec = wrapper<boolean>(
  "io.statefun.types/bool",
  WireType.Varint,
  (v) => !v,
  (w, v) => w.bool(v),
  (r) => r.bool(),
  false,
);
const GeneralIntCodec = wrapper<number>(
  "io.statefun.types/int",
  WireType.Bit32,
  (v) => v === 0,
  (w, v) => w.sfixed32(v),
  (r) => r.sfixed32(),
  0,
);
/**
 * The int's fast path reads and writes the four little-endian bytes itself (no DataView, no
 * scratch copy): a chain's counter decodes two ints and encodes two per message.
 */
export const IntCodec: WrapperCodec<number> = {
  encode(value) {
    if (value === 0) return new Uint8Array(0);
    // ToInt32, as DataView's setInt32 converts.
    const v = value | 0;
    const bytes = new Uint8Array(5);
    bytes[0] = 0x0d;
    bytes[1] = v;
    bytes[2] = v >>> 8;
    bytes[3] = v >>> 16;
    bytes[4] = v >>> 24;
    return bytes;
  },
  decode(bytes) {
    if (bytes.length === 5 && bytes[0] === 0x0d) return bytes[1]! | (bytes[2]! << 8) | (bytes[3]! << 16) | (bytes[4]! << 24);
    return GeneralIntCodec.decode(bytes);
  },
};
export const LongCodec = fixed(
  wrapper<bigint>(
    "io.statefun.types/long",
    WireType.Bit64,
    (v) => v === 0n,
    (w, v) => w.sfixed64(v),
    (r) => BigInt(r.sfixed64()),
    0n,
  ),
  0x09,
  8,
  (d, v) => d.setBigInt64(0, v, true),
  (d) => d.getBigInt64(0, true),
  (v) => v === 0n,
);
export const FloatCodec = fixed(
  wrapper<number>(
    "io.statefun.types/float",
    WireType.Bit32,
    (v) => Object.is(v, 0),
    (w, v) => w.float(v),
    (r) => r.float(),
    0,
  ),
  0x0d,
  4,
  (d, v) => d.setFloat32(0, v, true),
  (d) => d.getFloat32(0, true),
  (v) => Object.is(v, 0),
);
export const DoubleCodec = fixed(
  wrapper<number>(
    "io.statefun.types/double",
    WireType.Bit64,
    (v) => Object.is(v, 0),
    (w, v) => w.double(v),
    (r) => r.double(),
    0,
  ),
  0x09,
  8,
  (d, v) => d.setFloat64(0, v, true),
  (d) => d.getFloat64(0, true),
  (v) => Object.is(v, 0),
);
export const StringCodec = wrapper<string>(
  "io.statefun.types/string",
  WireType.LengthDelimited,
  (v) => v === "",
  (w, v) => w.string(v),
  (r) => r.string(),
  "",
);
