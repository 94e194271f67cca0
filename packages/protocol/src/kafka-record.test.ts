import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { KafkaProducerRecordSchema } from "./gen/io/statefun/sdk/egress/kafka-egress_pb.js";
import {
  decodeKafkaProducerRecord,
  decodeKafkaProducerRecordBytes,
  encodeKafkaProducerRecord,
  KAFKA_PRODUCER_RECORD_TYPE,
} from "./kafka-record.js";

const utf8 = new TextEncoder();
const typed = (value: Uint8Array) => ({ typename: KAFKA_PRODUCER_RECORD_TYPE, value });
const generated = (topic: string, key: string, value: Uint8Array) =>
  toBinary(KafkaProducerRecordSchema, create(KafkaProducerRecordSchema, { topic, key, valueBytes: value }));

/** Records of every shape: empty parts, multi-byte UTF-8, lengths past one and two varint bytes. */
const samples = [
  { topic: "t", key: "", value: new Uint8Array() },
  { topic: "orders", key: "k1", value: utf8.encode("1796345611488") },
  { topic: "grüße", key: "ключ-🙂", value: new Uint8Array(300).fill(7) },
  { topic: "x".repeat(200), key: "y".repeat(20_000), value: new Uint8Array(70_000).map((_, i) => i % 251) },
];

describe("KafkaProducerRecord wire codec", () => {
  it("writes exactly what the generated codec writes", () => {
    for (const s of samples) expect(encodeKafkaProducerRecord(s).value).toEqual(generated(s.topic, s.key, s.value));
    // Lone surrogates are written as U+FFFD, as TextEncoder writes them.
    const lone = { topic: "lone\ud800surrogate", key: "\udc00", value: new Uint8Array([1]) };
    expect(encodeKafkaProducerRecord(lone).value).toEqual(generated(lone.topic, lone.key, lone.value));
  });

  it("reads what the generated codec writes, and reads back what it wrote", () => {
    for (const s of samples) {
      expect(decodeKafkaProducerRecord(typed(generated(s.topic, s.key, s.value)))).toEqual(s);
      const back = fromBinary(KafkaProducerRecordSchema, encodeKafkaProducerRecord(s).value);
      expect({ topic: back.topic, key: back.key, value: back.valueBytes }).toEqual(s);
    }
  });

  it("reads each record's own topic, one after the other", () => {
    const topics = ["aaa", "aab", "aab", "aaa", "ab", "aaa"];
    expect(topics.map((t) => decodeKafkaProducerRecord(typed(generated(t, "k", new Uint8Array()))).topic)).toEqual(topics);
  });

  it("gives the key as its UTF-8 bytes and views of the argument's bytes (no copy)", () => {
    const bytes = generated("t", "ключ", utf8.encode("v"));
    const record = decodeKafkaProducerRecordBytes(typed(bytes));
    expect(record.key).toEqual(utf8.encode("ключ"));
    expect(record.value.buffer).toBe(bytes.buffer);
    expect(record.key.buffer).toBe(bytes.buffer);
  });

  it("skips unknown fields of every wire type and keeps the last occurrence of a field", () => {
    const known = generated("first", "a", utf8.encode("1"));
    const varintField = [(9 << 3) | 0, 0x96, 0x01];
    const fixed64 = [(10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8];
    const bytesField = [(11 << 3) | 2, 2, 0xff, 0xff];
    const fixed32 = [(12 << 3) | 5, 1, 2, 3, 4];
    const group = [(13 << 3) | 3, (14 << 3) | 0, 1, (13 << 3) | 4];
    const unknown = [...varintField, ...fixed64, ...bytesField, ...fixed32, ...group];
    const later = generated("second", "", utf8.encode("2"));
    const record = decodeKafkaProducerRecord(typed(new Uint8Array([...known, ...unknown, ...later])));
    expect(record).toEqual({ topic: "second", key: "a", value: utf8.encode("2") });
    const control = fromBinary(KafkaProducerRecordSchema, new Uint8Array([...known, ...unknown, ...later]));
    expect({ topic: control.topic, key: control.key, value: control.valueBytes }).toEqual(record);
  });

  it("refuses bytes that are not a record with STATEFUN_BAD_MESSAGE saying what is wrong", () => {
    const bad = (bytes: number[]) => () => decodeKafkaProducerRecord(typed(new Uint8Array(bytes)));
    expect(bad([0x1a, 5, 0x61])).toThrow(/does not decode: premature end of data/);
    expect(bad([0x1a])).toThrow(/does not decode: premature end of data in a varint/);
    expect(bad([0x18, 1])).toThrow(/does not decode: field 3 has wire type 0/);
    expect(bad([(9 << 3) | 7])).toThrow(/does not decode: wire type 7/);
    expect(bad([0x0a, 1, 0x61])).toThrow(/has no topic/);
    expect(() => decodeKafkaProducerRecord({ typename: "x/y", value: new Uint8Array() })).toThrow(/must be a/);
    const error = (() => {
      try {
        bad([0x1a, 5])();
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ code: "STATEFUN_BAD_MESSAGE" });
  });
});
