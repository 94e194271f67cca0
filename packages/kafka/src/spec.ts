/** Where a partition with no stored position starts (StateFun's `startupPosition`). */
export type StartupPosition =
  | { readonly type: "group-offsets" }
  | { readonly type: "earliest" }
  | { readonly type: "latest" }
  /** `offsets` by `topic/partition`; partitions not listed start at `autoOffsetResetPosition`. */
  | { readonly type: "specific-offsets"; readonly offsets: ReadonlyMap<string, number> }
  /** The first record at or after `date` (epoch ms). */
  | { readonly type: "date"; readonly date: number };

/** One topic of a Kafka ingress: its values are delivered with typename `valueType` to every target, at the record key's id. */
export interface KafkaIngressTopic {
  readonly topic: string;
  readonly valueType: string;
  /** Function types `namespace/name`. */
  readonly targets: readonly string[];
}

/** `io.statefun.kafka.v1/ingress`, validated. */
export interface KafkaIngressSpec {
  /** `namespace/name`. */
  readonly id: string;
  /** Bootstrap servers, `host:port[,host:port…]`. */
  readonly address: string;
  readonly consumerGroupId: string;
  readonly topics: readonly KafkaIngressTopic[];
  /** Where a partition starts when `startupPosition` finds no offset (default `latest`, as StateFun). */
  readonly autoOffsetResetPosition: "earliest" | "latest";
  /** Default `group-offsets`, as StateFun's documentation says (see the package README). */
  readonly startupPosition: StartupPosition;
  readonly properties: ReadonlyMap<string, string>;
}

export type DeliverySemantic =
  | { readonly type: "exactly-once"; readonly transactionTimeoutMs: number }
  | { readonly type: "at-least-once" }
  | { readonly type: "none" };

/** `io.statefun.kafka.v1/egress`, validated. */
export interface KafkaEgressSpec {
  readonly id: string;
  readonly address: string;
  /** Default `at-least-once`, as StateFun. */
  readonly deliverySemantic: DeliverySemantic;
  readonly properties: ReadonlyMap<string, string>;
}

/** The bootstrap servers of an `address`. */
export function brokersOf(address: string): string[] {
  return address
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
