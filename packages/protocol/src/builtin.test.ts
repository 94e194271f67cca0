import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoolCodec, DoubleCodec, FloatCodec, IntCodec, LongCodec, StringCodec } from "./builtin.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("built-in type codecs", () => {
  it("encode as StateFun's wrapper messages (field 1)", () => {
    expect(hex(IntCodec.encode(1))).toBe("0d01000000");
    expect(hex(IntCodec.encode(-2))).toBe("0dfeffffff");
    expect(hex(LongCodec.encode(5n))).toBe("090500000000000000");
    expect(hex(BoolCodec.encode(true))).toBe("0801");
    expect(hex(StringCodec.encode("hi"))).toBe("0a026869");
    expect(hex(DoubleCodec.encode(1.5))).toBe("09000000000000f83f");
    expect(hex(FloatCodec.encode(1.5))).toBe("0d0000c03f");
    expect(IntCodec.encode(0)).toHaveLength(0);
    // Past int32, a number wraps as in two's complement (ToInt32), as it always did.
    expect(hex(IntCodec.encode(2 ** 32 + 5))).toBe("0d05000000");
    expect(hex(IntCodec.encode(2 ** 31))).toBe("0d00000080");
    expect(hex(IntCodec.encode(1.5))).toBe("0d01000000");
  });

  it("round-trip any value", () => {
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => IntCodec.decode(IntCodec.encode(v)) === v));
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => LongCodec.decode(LongCodec.encode(v)) === v));
    fc.assert(fc.property(fc.double({ noNaN: true }), (v) => Object.is(DoubleCodec.decode(DoubleCodec.encode(v)), v)));
    fc.assert(fc.property(fc.string(), (v) => StringCodec.decode(StringCodec.encode(v)) === v));
  });

  it("read other valid encodings: unknown fields and repeated values (last wins)", () => {
    const w = new BinaryWriter();
    w.tag(2, WireType.Varint).int32(7);
    w.tag(1, WireType.Bit32).sfixed32(3);
    w.tag(1, WireType.Bit32).sfixed32(9);
    expect(IntCodec.decode(w.finish())).toBe(9);
  });

  it("reject truncated bytes with a clear error, never a crash", () => {
    expect(() => StringCodec.decode(Uint8Array.of(0x0a, 0x05, 0x68))).toThrow(/invalid io.statefun.types\/string bytes/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
        for (const codec of [IntCodec, LongCodec, BoolCodec, StringCodec, DoubleCodec, FloatCodec] as const) {
          try {
            (codec.decode as (b: Uint8Array) => unknown)(bytes);
          } catch (e) {
            expect((e as { code?: string }).code).toBe("STATEFUN_BAD_MESSAGE");
          }
        }
      }),
    );
  });
});
