import { Kafka, type KafkaConfig } from "kafkajs";
import { fastCodecs, wrapClusters } from "./kafkajs-codecs.js";

/** The part of a kafkajs broker connection the transaction coordinator serves a transactional producer with. */
interface CoordinatorBroker {
  addPartitionsToTxn(request: unknown): Promise<unknown>;
  addOffsetsToTxn(request: unknown): Promise<unknown>;
  [method: string]: unknown;
}

/** The part of a kafkajs cluster (one per producer) this file overrides. */
interface Cluster {
  findGroupCoordinator(request: { groupId: string; coordinatorType?: number }): Promise<CoordinatorBroker>;
  findBroker(request: { nodeId: number | string }): Promise<object>;
}

/** How often a transaction's first request to its coordinator asks again while the previous transaction completes. */
const CONCURRENT_RETRY_MS = 5;
/** How long it keeps asking (then the error goes to kafkajs, which retries in its own way). */
const CONCURRENT_RETRY_FOR_MS = 5_000;

/** The broker methods a transactional producer calls on a coordinator (kafkajs' eosManager). */
const COORDINATOR_METHODS = new Set(["initProducerId", "addPartitionsToTxn", "addOffsetsToTxn", "txnOffsetCommit", "endTxn"]);
/** The requests that open a transaction's part on its coordinator: refused while the previous transaction writes its markers. */
const OPENING = new Set(["addPartitionsToTxn", "addOffsetsToTxn"]);

/**
 * A kafkajs client whose producers find their coordinators once instead of before every request
 * (and use the codecs of kafkajs-codecs.ts).
 *
 * kafkajs 2.2.4's transactional producer asks a broker for the coordinator (FindCoordinator)
 * before each of AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn: four round trips
 * of a transaction's nine. Here a producer's cluster (kafkajs keeps it private: see `wrapClusters`)
 * remembers each coordinator it found until a request to it fails; then the next lookup asks
 * again, as the Java client does (kafkajs' retries of that request look it up again).
 *
 * The coordinator refuses a transaction's AddPartitionsToTxn or AddOffsetsToTxn with
 * CONCURRENT_TRANSACTIONS while it still writes the markers of the previous transaction (nearly
 * always, right after a commit): kafkajs then retries the whole send (grouping its records again
 * and reading the cluster's metadata first) after its exponential backoff, 20, 40, 80… ms. Here
 * those two requests are asked again every 5 ms for up to 5 s first (the markers take a few ms).
 */
export class CoordinatorCachingKafka extends Kafka {
  constructor(config: KafkaConfig) {
    super(config);
    wrapClusters<Cluster>(this, (cluster) => fastCodecs(cachingCoordinators(cluster)));
  }
}

function cachingCoordinators(cluster: Cluster): Cluster {
  const find = cluster.findGroupCoordinator.bind(cluster);
  const found = new Map<string, Promise<CoordinatorBroker>>();
  cluster.findGroupCoordinator = (request) => {
    const key = `${request.coordinatorType ?? 0}:${request.groupId}`;
    let coordinator = found.get(key);
    if (coordinator === undefined) {
      const forget = () => {
        if (found.get(key) === coordinator) found.delete(key);
      };
      coordinator = find(request).then((broker) => coordinatorOf(broker, forget));
      coordinator.catch(forget);
      found.set(key, coordinator);
    }
    return coordinator;
  };
  return cluster;
}

/** The broker, its coordinator requests forgetting it as coordinator when they fail (and retrying an opening one refused while the previous transaction completes). */
function coordinatorOf(broker: CoordinatorBroker, forget: () => void): CoordinatorBroker {
  return new Proxy(broker, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || typeof value !== "function" || !COORDINATOR_METHODS.has(property)) return value;
      const opening = OPENING.has(property);
      return async (request: unknown) => {
        const deadline = performance.now() + CONCURRENT_RETRY_FOR_MS;
        for (;;) {
          try {
            return await value.call(target, request);
          } catch (error) {
            if (opening && (error as { type?: string }).type === "CONCURRENT_TRANSACTIONS" && performance.now() < deadline) {
              await new Promise((resolve) => setTimeout(resolve, CONCURRENT_RETRY_MS));
              continue;
            }
            forget();
            throw error;
          }
        }
      };
    },
  });
}
