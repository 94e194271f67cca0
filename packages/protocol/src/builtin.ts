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

export const BoolCodec = wrapper<boolean>(
  "io.statefun.types/bool",
  WireType.Varint,
  (v) => !v,
  (w, v) => w.bool(v),
  (r) => r.bool(),
  false,
);
export const IntCodec = wrapper<number>(
  "io.statefun.types/int",
  WireType.Bit32,
  (v) => v === 0,
  (w, v) => w.sfixed32(v),
  (r) => r.sfixed32(),
  0,
);
export const LongCodec = wrapper<bigint>(
  "io.statefun.types/long",
  WireType.Bit64,
  (v) => v === 0n,
  (w, v) => w.sfixed64(v),
  (r) => BigInt(r.sfixed64()),
  0n,
);
export const FloatCodec = wrapper<number>(
  "io.statefun.types/float",
  WireType.Bit32,
  (v) => Object.is(v, 0),
  (w, v) => w.float(v),
  (r) => r.float(),
  0,
);
export const DoubleCodec = wrapper<number>(
  "io.statefun.types/double",
  WireType.Bit64,
  (v) => Object.is(v, 0),
  (w, v) => w.double(v),
  (r) => r.double(),
  0,
);
export const StringCodec = wrapper<string>(
  "io.statefun.types/string",
  WireType.LengthDelimited,
  (v) => v === "",
  (w, v) => w.string(v),
  (r) => r.string(),
  "",
);
