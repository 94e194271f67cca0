import type { KafkaEgressSpec, KafkaIngressSpec, StartupPosition } from "@statefun-ts/kafka";
import { z } from "zod";
import { describeValue } from "./describe.js";
import { duration, strict } from "./fields.js";

/** `namespace/name` (an ingress or egress id, a function type, a value type). */
const typeName = z.string().superRefine((value, ctx) => {
  const slash = value.lastIndexOf("/");
  if (slash <= 0 || slash === value.length - 1) {
    ctx.addIssue({ code: "custom", message: `expected a type name namespace/name, got ${describeValue(value)}` });
  }
});

/** Bootstrap servers: `host:port[,host:port…]`. */
const address = z.string().superRefine((value, ctx) => {
  const servers = value.split(",").map((s) => s.trim());
  if (servers.some((s) => !/^[^\s:]+:\d{1,5}$/.test(s))) {
    ctx.addIssue({ code: "custom", message: `expected host:port[,host:port...], got ${describeValue(value)}` });
  }
});

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** StateFun's `properties`: a list of single-key maps (`- foo.config: bar`); a plain map is accepted too. */
const properties = z
  .union([z.array(z.record(z.string(), scalar)), z.record(z.string(), scalar)])
  .optional()
  .transform((value, ctx) => {
    const map = new Map<string, string>();
    const entries = Array.isArray(value) ? value : value === undefined ? [] : [value];
    entries.forEach((entry, i) => {
      const keys = Object.keys(entry);
      if (Array.isArray(value) && keys.length !== 1) {
        ctx.addIssue({
          code: "custom",
          path: [i],
          message: `expected a single-key map such as "- foo.config: bar", got ${keys.length} keys`,
        });
      }
      for (const key of keys) map.set(key, entry[key]!);
    });
    return map;
  });

/** `yyyy-MM-dd HH:mm:ss[.SSS] Z` (StateFun's format), to epoch ms. */
const date = z.union([z.string(), z.date()]).transform((value, ctx) => {
  if (value instanceof Date) return value.getTime();
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,3})?\s*(Z|[+-]\d{2}:?\d{2})$/.exec(value.trim());
  const ms =
    m === null
      ? Number.NaN
      : Date.parse(`${m[1]}T${m[2]}${(m[3] ?? ".0").padEnd(4, "0")}${m[4] === "Z" ? "Z" : m[4]!.replace(/^([+-]\d{2})(\d{2})$/, "$1:$2")}`);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: `expected a date such as "2020-02-01 04:15:00.000 Z", got ${describeValue(value)}` });
    return z.NEVER;
  }
  return ms;
});

const partitionOffset = z.record(z.string().regex(/^.+\/\d+$/, "expected topic/partition"), z.number().int().min(0));

const startupPosition = z
  .discriminatedUnion("type", [
    strict({ type: z.literal("group-offsets") }),
    strict({ type: z.literal("earliest") }),
    strict({ type: z.literal("latest") }),
    strict({ type: z.literal("specific-offsets"), offsets: z.union([z.array(partitionOffset), partitionOffset]) }),
    strict({ type: z.literal("date"), date }),
  ])
  .transform((p): StartupPosition => {
    if (p.type === "specific-offsets") {
      const entries = (Array.isArray(p.offsets) ? p.offsets : [p.offsets]).flatMap((o) => Object.entries(o));
      return { type: "specific-offsets", offsets: new Map(entries) };
    }
    if (p.type === "date") return { type: "date", date: p.date };
    return { type: p.type };
  });

/**
 * `spec` of `io.statefun.kafka.v1/ingress`, StateFun's fields. `startupPosition` defaults to
 * `group-offsets` (StateFun's documentation; its code said `latest`): a partition the store has no
 * position for starts at the group's committed offset, else at `autoOffsetResetPosition`
 * (default `latest`, as StateFun).
 */
export const kafkaIngress = strict({
  id: typeName,
  address,
  consumerGroupId: z.string().min(1),
  topics: z.array(strict({ topic: z.string().min(1), valueType: typeName, targets: z.array(typeName).min(1) })).min(1),
  autoOffsetResetPosition: z.enum(["earliest", "latest"]).default("latest"),
  startupPosition: startupPosition.default({ type: "group-offsets" }),
  properties,
}).transform(
  (s): KafkaIngressSpec => ({
    id: s.id,
    address: s.address,
    consumerGroupId: s.consumerGroupId,
    topics: s.topics,
    autoOffsetResetPosition: s.autoOffsetResetPosition,
    startupPosition: s.startupPosition,
    properties: s.properties,
  }),
);

const deliverySemantic = z.discriminatedUnion("type", [
  strict({ type: z.literal("exactly-once"), transactionTimeout: duration().optional(), transactionTimeoutMillis: duration().optional() }),
  strict({ type: z.literal("at-least-once") }),
  strict({ type: z.literal("none") }),
]);

/** `spec` of `io.statefun.kafka.v1/egress`, StateFun's fields; `deliverySemantic` defaults to `at-least-once`, as StateFun. */
export const kafkaEgress = strict({
  id: typeName,
  address,
  deliverySemantic: deliverySemantic.default({ type: "at-least-once" }),
  properties,
}).transform(
  (s): KafkaEgressSpec => ({
    id: s.id,
    address: s.address,
    deliverySemantic:
      s.deliverySemantic.type === "exactly-once"
        ? {
            type: "exactly-once",
            transactionTimeoutMs: s.deliverySemantic.transactionTimeout ?? s.deliverySemantic.transactionTimeoutMillis ?? 60_000,
          }
        : { type: s.deliverySemantic.type },
    properties: s.properties,
  }),
);
