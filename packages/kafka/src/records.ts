import {
  type Address,
  BoolCodec,
  BuiltinTypeNames,
  DoubleCodec,
  FloatCodec,
  IntCodec,
  LongCodec,
  parseTypeName,
  StringCodec,
  type TypedValue,
} from "@statefun-ts/protocol";
import type { SourceRecords } from "@statefun-ts/runtime";
import type { ConsumedRecord } from "./client.js";
import type { KafkaIngressTopic } from "./spec.js";

/** Routes a record of a topic to messages; embedded modules may give their own (a record whose key is not the id). */
export type KafkaRouter = (record: { readonly key: string | null; readonly value: Uint8Array }) => readonly {
  readonly target: Address;
  readonly argument: TypedValue;
}[];

const BUILTIN_CODECS: ReadonlyMap<string, { decode(bytes: Uint8Array): unknown }> = new Map<string, { decode(bytes: Uint8Array): unknown }>(
  [
    [BuiltinTypeNames.bool, BoolCodec],
    [BuiltinTypeNames.int, IntCodec],
    [BuiltinTypeNames.long, LongCodec],
    [BuiltinTypeNames.float, FloatCodec],
    [BuiltinTypeNames.double, DoubleCodec],
    [BuiltinTypeNames.string, StringCodec],
  ],
);

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** StateFun's routing: the key (UTF-8) is the id at every target; the value goes as `valueType`. */
export function keyRouter(topic: KafkaIngressTopic): KafkaRouter {
  const targets = topic.targets.map((t) => parseTypeName(t));
  const codec = BUILTIN_CODECS.get(topic.valueType);
  return ({ key, value }) => {
    if (key === null) throw new Error("the record has no key (a Kafka ingress uses the key as the target id)");
    // A value of a built-in type that does not decode would fail in every function: refuse it here.
    codec?.decode(value);
    return targets.map((t) => ({
      target: { namespace: t.namespace, type: t.name, id: key },
      argument: { typename: topic.valueType, value },
    }));
  };
}

/** The messages and dead letters of records (`SourceRecords` without its positions). */
export function recordsToMessages(
  records: readonly ConsumedRecord[],
  where: { ingress: string; topic: string; partition: number; deadTarget: Address },
  route: KafkaRouter,
): Pick<SourceRecords, "messages" | "deadLetters"> {
  const messages: SourceRecords["messages"][number][] = [];
  const deadLetters: SourceRecords["deadLetters"][number][] = [];
  for (const r of records) {
    const value = r.value ?? new Uint8Array(0);
    let key: string | null = null;
    try {
      key = r.key === null ? null : utf8.decode(r.key);
      for (const m of route({ key, value })) messages.push(m);
    } catch (error) {
      deadLetters.push({
        target: { ...where.deadTarget, id: key ?? "" },
        argument: { typename: "io.statefun.kafka/record", value },
        error: `Kafka ingress ${where.ingress}: record ${where.topic}/${where.partition}@${r.offset}: ${(error as Error).message}`,
      });
    }
  }
  return { messages, deadLetters };
}
