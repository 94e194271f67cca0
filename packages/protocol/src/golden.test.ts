/**
 * Golden bytes written by the official StateFun Python SDK (apache-flink-statefun 3.3.0, with
 * its own generated protobuf classes and request handler): test/interop/python/make_golden.py
 * wrote packages/protocol/golden/. Each file is decoded with our code and checked field by
 * field, against the hand-written expectations below and against the SDK's canonical proto3
 * JSON (golden.json); then re-encoded byte for byte. Our .proto is checked against the SDK's
 * descriptors field by field.
 */
import { readFileSync } from "node:fs";
import { create, fromBinary, type JsonValue, toJson } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { file_io_statefun_sdk_egress_kafka_egress, KafkaProducerRecordSchema } from "./gen/io/statefun/sdk/egress/kafka-egress_pb.js";
import {
  BoolCodec,
  BuiltinTypeNames,
  DoubleCodec,
  decodeFromFunction,
  decodeToFunction,
  encodeFromFunction,
  encodeToFunction,
  FloatCodec,
  fromWireValue,
  IntCodec,
  LongCodec,
  reqreply,
  StringCodec,
  toWireAddress,
  toWireValue,
  type WrapperCodec,
} from "./index.js";

interface Manifest {
  readonly sdk: Record<string, string>;
  readonly messages: Record<string, { schema: "ToFunction" | "FromFunction"; json: JsonValue }>;
  readonly builtins: readonly { file: string; typename: string; value: boolean | number | string; hex: string }[];
  readonly descriptors: Record<"request-reply" | "kafka-egress" | "types", string>;
}

const GOLDEN = new URL("../golden/", import.meta.url);
const golden = (name: string) => new Uint8Array(readFileSync(new URL(name, GOLDEN)));
const manifest = JSON.parse(readFileSync(new URL("golden.json", GOLDEN), "utf8")) as Manifest;
const utf8 = new TextEncoder();
const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const json = (bytes: Uint8Array | undefined) => JSON.parse(text(bytes)) as unknown;
const ExpireMode = reqreply.FromFunction_ExpirationSpec_ExpireMode;
const MutationType = reqreply.FromFunction_PersistedValueMutation_MutationType;

describe("golden bytes of the StateFun Python SDK", () => {
  it("were written by apache-flink-statefun 3.3.0", () => {
    expect(manifest.sdk["apache-flink-statefun"]).toBe("3.3.0");
  });

  describe("to-function.bin: a batch with state and two invocations", () => {
    const bytes = golden("to-function.bin");
    const message = decodeToFunction(bytes);

    it("decodes every field", () => {
      expect(message.request.case).toBe("invocation");
      const batch = message.request.value!;
      expect(batch.target).toMatchObject({ namespace: "example", type: "golden", id: "bob" });
      expect(batch.state.map((s) => s.stateName)).toEqual(["seen", "profile", "gone", "note", "zero"]);
      const [seen, profile, gone, note, zero] = batch.state;
      expect(seen!.stateValue).toMatchObject({ typename: BuiltinTypeNames.int, hasValue: true });
      expect(IntCodec.decode(fromWireValue(seen!.stateValue)!.value)).toBe(3);
      expect(profile!.stateValue).toMatchObject({ typename: "example/Profile", hasValue: true });
      expect(json(profile!.stateValue?.value)).toEqual({ name: "Bob", tags: ["a", "b"] });
      expect(StringCodec.decode(fromWireValue(gone!.stateValue)!.value)).toBe("to be deleted");
      // No value: the state is listed, its value omitted.
      expect(note!.stateValue).toBeUndefined();
      expect(fromWireValue(note!.stateValue)).toBeUndefined();
      // A value whose bytes are empty (int 0) is still a value.
      expect(fromWireValue(zero!.stateValue)).toEqual({ typename: BuiltinTypeNames.int, value: new Uint8Array(0) });
      expect(IntCodec.decode(zero!.stateValue!.value)).toBe(0);

      expect(batch.invocations).toHaveLength(2);
      const [first, second] = batch.invocations;
      expect(first!.caller).toMatchObject({ namespace: "example", type: "person", id: "bob" });
      expect(first!.argument).toMatchObject({ typename: "example/GreetRequest", hasValue: true });
      expect(json(first!.argument?.value)).toEqual({ name: "bob" });
      expect(second!.caller).toBeUndefined();
      expect(second!.argument?.typename).toBe(BuiltinTypeNames.string);
      expect(StringCodec.decode(second!.argument!.value)).toBe("tick");
    });

    it("matches the SDK's canonical JSON", () => {
      expect(toJson(reqreply.ToFunctionSchema, message)).toEqual(manifest.messages["to-function.bin"]!.json);
    });

    it("re-encodes byte for byte, and so does a batch built from scratch as the runtime builds it", () => {
      expect(encodeToFunction(message)).toEqual(bytes);
      const int = (n: number) => ({ typename: BuiltinTypeNames.int, value: IntCodec.encode(n) });
      const built = create(reqreply.ToFunctionSchema, {
        request: {
          case: "invocation",
          value: {
            target: toWireAddress({ namespace: "example", type: "golden", id: "bob" }),
            state: [
              { stateName: "seen", stateValue: toWireValue(int(3)) },
              {
                stateName: "profile",
                stateValue: toWireValue({ typename: "example/Profile", value: utf8.encode('{"name": "Bob", "tags": ["a", "b"]}') }),
              },
              {
                stateName: "gone",
                stateValue: toWireValue({ typename: BuiltinTypeNames.string, value: StringCodec.encode("to be deleted") }),
              },
              { stateName: "note" },
              { stateName: "zero", stateValue: toWireValue(int(0)) },
            ],
            invocations: [
              {
                caller: toWireAddress({ namespace: "example", type: "person", id: "bob" }),
                argument: toWireValue({ typename: "example/GreetRequest", value: utf8.encode('{"name": "bob"}') }),
              },
              { argument: toWireValue({ typename: BuiltinTypeNames.string, value: StringCodec.encode("tick") }) },
            ],
          },
        },
      });
      expect(encodeToFunction(built)).toEqual(bytes);
    });
  });

  describe("from-function-invocation-result.bin: every kind of effect", () => {
    const bytes = golden("from-function-invocation-result.bin");
    const message = decodeFromFunction(bytes);

    it("decodes every field", () => {
      expect(message.response.case).toBe("invocationResult");
      const result = message.response.value as reqreply.FromFunction_InvocationResponse;

      expect(result.stateMutations).toHaveLength(2);
      const [modify, remove] = result.stateMutations;
      expect(modify).toMatchObject({ mutationType: MutationType.MODIFY, stateName: "seen" });
      expect(modify!.stateValue).toMatchObject({ typename: BuiltinTypeNames.int, hasValue: true });
      expect(IntCodec.decode(modify!.stateValue!.value)).toBe(4);
      expect(remove).toMatchObject({ mutationType: MutationType.DELETE, stateName: "gone" });
      expect(remove!.stateValue).toBeUndefined();

      expect(result.outgoingMessages).toHaveLength(1);
      const reply = result.outgoingMessages[0]!;
      expect(reply.target).toMatchObject({ namespace: "example", type: "person", id: "bob" });
      expect(reply.argument?.typename).toBe(BuiltinTypeNames.string);
      expect(StringCodec.decode(reply.argument!.value)).toBe("hello bob");

      expect(result.delayedInvocations).toHaveLength(3);
      const [later, cancel, untokened] = result.delayedInvocations;
      expect(later).toMatchObject({ isCancellationRequest: false, cancellationToken: "reminder-bob-1", delayInMs: 90_000n });
      expect(later!.target).toMatchObject({ namespace: "example", type: "reminder", id: "bob" });
      expect(StringCodec.decode(later!.argument!.value)).toBe("wake up");
      expect(cancel).toMatchObject({ isCancellationRequest: true, cancellationToken: "reminder-bob-0", delayInMs: 0n });
      expect(cancel!.target).toBeUndefined();
      expect(cancel!.argument).toBeUndefined();
      expect(untokened).toMatchObject({ isCancellationRequest: false, cancellationToken: "", delayInMs: 1500n });
      expect(untokened!.target).toMatchObject({ namespace: "example", type: "reminder", id: "alice" });
      expect(untokened!.argument?.typename).toBe(BuiltinTypeNames.long);
      expect(LongCodec.decode(untokened!.argument!.value)).toBe(2n ** 40n + 1n);

      expect(result.outgoingEgresses).toHaveLength(2);
      const [kafka, playground] = result.outgoingEgresses;
      expect(kafka).toMatchObject({ egressNamespace: "example", egressType: "greets" });
      expect(kafka!.argument?.typename).toBe("type.googleapis.com/io.statefun.sdk.egress.KafkaProducerRecord");
      const record = fromBinary(KafkaProducerRecordSchema, kafka!.argument!.value);
      expect(record).toMatchObject({ key: "bob", topic: "greetings" });
      expect(text(record.valueBytes)).toBe("Hello bob");
      expect(playground).toMatchObject({ egressNamespace: "io.statefun.playground", egressType: "egress" });
      expect(playground!.argument?.typename).toBe("io.statefun.playground/EgressRecord");
      expect(json(playground!.argument?.value)).toEqual({ topic: "greetings", payload: "Hello again" });
    });

    it("matches the SDK's canonical JSON and re-encodes byte for byte", () => {
      expect(toJson(reqreply.FromFunctionSchema, message)).toEqual(manifest.messages["from-function-invocation-result.bin"]!.json);
      expect(encodeFromFunction(message)).toEqual(bytes);
    });
  });

  describe("from-function-incomplete-invocation-context.bin: missing states with their expiration", () => {
    const bytes = golden("from-function-incomplete-invocation-context.bin");
    const message = decodeFromFunction(bytes);

    it("decodes every field", () => {
      expect(message.response.case).toBe("incompleteInvocationContext");
      const missing = (message.response.value as reqreply.FromFunction_IncompleteInvocationContext).missingValues;
      expect(missing.map((m) => [m.stateName, m.typeTypename])).toEqual([
        ["session", BuiltinTypeNames.string],
        ["cache", "example/Profile"],
        ["total", BuiltinTypeNames.long],
      ]);
      expect(missing[0]!.expirationSpec).toMatchObject({ mode: ExpireMode.AFTER_INVOKE, expireAfterMillis: 1_800_000n });
      expect(missing[1]!.expirationSpec).toMatchObject({ mode: ExpireMode.AFTER_WRITE, expireAfterMillis: 5000n });
      // The SDK sends an empty spec (present, mode NONE) for a state that never expires.
      expect(missing[2]!.expirationSpec).toMatchObject({ mode: ExpireMode.NONE, expireAfterMillis: 0n });
    });

    it("matches the SDK's canonical JSON and re-encodes byte for byte", () => {
      expect(toJson(reqreply.FromFunctionSchema, message)).toEqual(
        manifest.messages["from-function-incomplete-invocation-context.bin"]!.json,
      );
      expect(encodeFromFunction(message)).toEqual(bytes);
    });
  });

  describe("built-in types", () => {
    const codecs: Record<string, { codec: WrapperCodec<any>; parse: (v: boolean | number | string) => unknown }> = {
      [BuiltinTypeNames.bool]: { codec: BoolCodec, parse: (v) => v },
      [BuiltinTypeNames.int]: { codec: IntCodec, parse: (v) => v },
      [BuiltinTypeNames.long]: { codec: LongCodec, parse: (v) => BigInt(v) },
      [BuiltinTypeNames.float]: { codec: FloatCodec, parse: (v) => Number(v) },
      [BuiltinTypeNames.double]: { codec: DoubleCodec, parse: (v) => Number(v) },
      [BuiltinTypeNames.string]: { codec: StringCodec, parse: (v) => v },
    };

    it("cover every built-in type", () => {
      expect(new Set(manifest.builtins.map((b) => b.typename))).toEqual(new Set(Object.values(BuiltinTypeNames)));
    });

    for (const { file, typename, value, hex } of manifest.builtins) {
      it(`${file} decodes to ${typename} ${JSON.stringify(value)} and re-encodes byte for byte`, () => {
        const { codec, parse } = codecs[typename]!;
        const bytes = golden(file);
        expect(Buffer.from(bytes).toString("hex")).toBe(hex);
        const decoded = codec.decode(bytes);
        expect(decoded).toBe(parse(value)); // Object.is: NaN is NaN, -0 is not 0
        expect(codec.encode(decoded)).toEqual(bytes);
      });
    }
  });

  describe("our .proto against the SDK's descriptors", () => {
    const sdk = (name: keyof Manifest["descriptors"]) => JSON.parse(readFileSync(new URL(manifest.descriptors[name], GOLDEN), "utf8"));
    const ours = (proto: FileDescriptorProto) => toJson(FileDescriptorProtoSchema, proto);

    it("request-reply.proto: same package, messages, nesting, fields (name, number, label, type), oneofs and enums", () => {
      expect(wireShape(ours(reqreply.file_io_statefun_sdk_reqreply_request_reply.proto))).toEqual(wireShape(sdk("request-reply")));
    });

    it("kafka-egress.proto: the same KafkaProducerRecord", () => {
      expect(wireShape(ours(file_io_statefun_sdk_egress_kafka_egress.proto))).toEqual(wireShape(sdk("kafka-egress")));
    });

    it("built-in types: each a wrapper with `value = 1` of the type our codec writes", () => {
      const wrappers = Object.fromEntries(
        (sdk("types").messageType as { name: string; field: { name: string; number: number; type: string }[] }[]).map((m) => [
          m.name,
          m.field,
        ]),
      );
      const expected = {
        BooleanWrapper: "TYPE_BOOL",
        IntWrapper: "TYPE_SFIXED32",
        LongWrapper: "TYPE_SFIXED64",
        FloatWrapper: "TYPE_FLOAT",
        DoubleWrapper: "TYPE_DOUBLE",
        StringWrapper: "TYPE_STRING",
      };
      expect(Object.keys(wrappers).sort()).toEqual(Object.keys(expected).sort());
      for (const [name, type] of Object.entries(expected)) {
        expect(wrappers[name], name).toEqual([expect.objectContaining({ name: "value", number: 1, type })]);
      }
    });
  });
});

/**
 * What of a file descriptor (as proto3 JSON) is wire contract: package, message and enum names
 * and nesting, field names, numbers, labels, types and oneofs. Not the file name, options,
 * json names or declaration order.
 */
function wireShape(file: any): unknown {
  const enumShape = (e: any) => ({ name: e.name, values: (e.value ?? []).map((v: any) => [v.name, v.number ?? 0]) });
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  const messageShape = (m: any): unknown => ({
    name: m.name,
    fields: [...(m.field ?? [])]
      .sort((a: any, b: any) => a.number - b.number)
      .map((f: any) => ({
        name: f.name,
        number: f.number,
        label: f.label,
        type: f.type,
        typeName: f.typeName,
        oneof: f.oneofIndex === undefined ? undefined : m.oneofDecl[f.oneofIndex].name,
        proto3Optional: f.proto3Optional ?? false,
      })),
    nested: [...(m.nestedType ?? [])].sort(byName).map(messageShape),
    enums: [...(m.enumType ?? [])].sort(byName).map(enumShape),
  });
  return {
    package: file.package,
    syntax: file.syntax,
    messages: [...(file.messageType ?? [])].sort(byName).map(messageShape),
    enums: [...(file.enumType ?? [])].sort(byName).map(enumShape),
  };
}
