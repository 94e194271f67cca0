import { Kafka, type KafkaConfig } from "kafkajs";
import { decodeFetchResponse } from "./fetch-decoding.js";
import { type EncodableMessage, encodeProduceRequest, type ProduceRequest } from "./produce-encoding.js";

/** What kafkajs' request factories make: the request, with its encoder, and the response, with its decoder. */
interface Made {
  request: { apiVersion: number; encode: () => unknown };
  response: { decode: (raw: Buffer) => Promise<unknown>; [key: string]: unknown };
}

/** The part of a kafkajs broker connection whose Produce and Fetch requests are changed here. */
interface Broker {
  produce(request: KafkajsProduce): Promise<unknown>;
  fetch(request: unknown): Promise<unknown>;
  /** kafkajs' request factory for the versions both sides speak (set again at every connect). */
  lookupRequest: (apiKey: number, definition: unknown) => (args: unknown) => Made;
}

type KafkajsProduce = ProduceRequest & { readonly compression?: number | undefined };

/** The part of a kafkajs cluster (one per producer, consumer or admin) this file wraps. */
export interface Cluster {
  findBroker(request: { nodeId: number | string }): Promise<object>;
}

/**
 * Wraps the clusters `kafka` creates (kafkajs keeps their factory private: an own property named by
 * the symbol `private:Kafka:createCluster`).
 */
export function wrapClusters<C extends Cluster>(kafka: Kafka, wrap: (cluster: C) => C): void {
  const self = kafka as unknown as Record<symbol, (options: unknown) => C>;
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === "private:Kafka:createCluster");
  const create = key === undefined ? undefined : self[key];
  if (key === undefined || typeof create !== "function") throw new Error("kafkajs: no cluster factory to wrap (kafkajs changed?)");
  self[key] = (options) => wrap(create(options));
}

/** A kafkajs client whose brokers encode Produce requests and decode Fetch responses with the codecs here (`fastCodecs`). */
export class FastCodecKafka extends Kafka {
  constructor(config: KafkaConfig) {
    super(config);
    wrapClusters(this, fastCodecs);
  }
}

const patched = new WeakSet<object>();

/**
 * The cluster, the brokers it hands out encoding their Produce requests with produce-encoding.ts
 * and decoding their Fetch responses with fetch-decoding.ts, where those write and read what
 * kafkajs would (the same bytes, the same objects): uncompressed records with Buffer or null keys
 * and values and no timestamp nor headers for Produce (v3 or later: Kafka 4 speaks nothing
 * older), Fetch v11 responses whose batches are uncompressed RecordBatch v2. Anything else goes to
 * kafkajs' own codecs. Everything around them (partitioning, sequence numbers, transactions,
 * retries, offsets, the filtering of aborted transactions) stays kafkajs'.
 *
 * kafkajs' `produce` and `fetch` look their request factory up and build the request
 * synchronously, before their first `await`: the lookup is replaced for that one synchronous
 * stretch, and what it builds gets the codec.
 */
export function fastCodecs<C extends Cluster>(cluster: C): C {
  const find = cluster.findBroker.bind(cluster);
  cluster.findBroker = async (request) => patch(await find(request));
  return cluster;
}

function patch<B extends object>(broker: B): B {
  const b = broker as unknown as Broker;
  if (patched.has(broker) || typeof b.produce !== "function" || typeof b.fetch !== "function") return broker;
  patched.add(broker);
  const produce = b.produce;
  b.produce = function (this: Broker, request: KafkajsProduce) {
    if (!encodable(request)) return produce.call(this, request);
    return withMade(this, produce, request, (made) => {
      if (made.request.apiVersion >= 3) made.request.encode = async () => encoderOf(encodeProduceRequest(request));
    });
  };
  const fetch = b.fetch;
  b.fetch = function (this: Broker, request: unknown) {
    return withMade(this, fetch, request, (made) => {
      if (made.request.apiVersion !== 11) return;
      const decode = made.response.decode;
      made.response = { ...made.response, decode: async (raw: Buffer) => decodeFetchResponse(raw) ?? decode(raw) };
    });
  };
  return broker;
}

/** Calls `method` of `broker` with `change` applied to the request its (synchronous) lookup makes. */
function withMade<T>(broker: Broker, method: (this: Broker, request: T) => Promise<unknown>, request: T, change: (made: Made) => void) {
  const lookup = broker.lookupRequest;
  broker.lookupRequest = (apiKey, definition) => {
    const factory = lookup.call(broker, apiKey, definition);
    return (args) => {
      const made = factory(args);
      change(made);
      return made;
    };
  };
  try {
    return method.call(broker, request);
  } finally {
    broker.lookupRequest = lookup;
  }
}

/** What kafkajs' request framing takes from an encoder: its bytes (`buffer`), and `buf` to tell it is one. */
function encoderOf(bytes: Buffer) {
  return { buf: bytes, buffer: bytes, offset: bytes.length, size: () => bytes.length };
}

function encodable(request: KafkajsProduce): boolean {
  if ((request.compression ?? 0) !== 0) return false;
  for (const { partitions } of request.topicData) {
    for (const { messages } of partitions) {
      for (const m of messages as readonly (EncodableMessage & { timestamp?: unknown; headers?: unknown })[]) {
        if (m.timestamp !== undefined && m.timestamp !== null) return false;
        if (m.headers !== undefined && m.headers !== null && Object.keys(m.headers).length > 0) return false;
        if (m.key !== undefined && m.key !== null && !Buffer.isBuffer(m.key)) return false;
        if (m.value !== null && !Buffer.isBuffer(m.value)) return false;
      }
    }
  }
  return true;
}
