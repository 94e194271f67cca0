import { keyGroupOf } from "@statefun-ts/protocol";
import type { Store } from "@statefun-ts/runtime";
import type { SourceAdvance } from "@statefun-ts/runtime/spi";
import { addr, batch, bytes, ingress, message, range, text } from "../store/helpers.js";

/** Ids whose byte order differs from most collations' order (case, accents, astral characters). */
export const AWKWARD_IDS = ["a", "B", "b", "Z", "é", "e", "z", "ｚ", "😀", "id/with/slashes", "0", "10", "9"];

/**
 * Fills an open store with rows of every kind an export holds: module catalog entries, state specs, a
 * parked type, state (with and without expiry, `instances` × 3 values, plus awkward ids), waiting
 * and delayed messages (some cancelled), egress records (some delivered), dead letters (one
 * replayed), replies, idempotency keys, and ingress source positions (Kafka partitions, whose
 * names sort differently in byte order, and the Kafka egress's outbox identity).
 */
export async function fillStore(store: Store, options: { keyGroups: number; instances: number }): Promise<void> {
  const { keyGroups } = options;
  const fence = { owner: "filler", epochs: await store.acquire("filler", range(keyGroups)) };
  await store.changeModuleCatalog({ kind: "module", name: "shop", body: "kind: io.statefun.endpoints.v2/http\nspec: {}\n" });
  await store.changeModuleCatalog({
    kind: "function",
    name: "remote/*",
    body: '{"kind":"remote","url":"http://127.0.0.1:9/{function.name}"}',
  });
  await store.changeModuleCatalog({ kind: "function", name: "gone/fn", body: "{}" });
  await store.changeModuleCatalog({ kind: "function", name: "gone/fn", body: null });
  await store.saveStateSpecs("remote/counter", [
    { name: "count", typename: "io.statefun.types/int", expiration: { mode: "none" } },
    { name: "seen", typename: "io.statefun.types/string", expiration: { mode: "after-write", millis: 60_000 } },
  ]);
  await store.setParked("parked/fn", 1_234);

  const ids = [...AWKWARD_IDS, ...Array.from({ length: options.instances }, (_, i) => `user-${i}`)];
  for (let from = 0; from < ids.length; from += 500) {
    const state = ids.slice(from, from + 500).flatMap((id, i) => {
      const address = addr(id);
      const keyGroup = keyGroupOf(id, keyGroups);
      return [
        { address, keyGroup, name: "count", value: bytes([i % 256, 1, 2]) },
        { address, keyGroup, name: "name", value: text(`name of ${id}`) },
        { address, keyGroup, name: "session", value: text("s"), expiresAt: 9_000_000_000_000 + i },
      ];
    });
    await store.commit(batch(fence, { state }));
  }

  let seq = await store.allocateSeqs(200);
  const waiting = range(60).map((i) => {
    const id = ids[i % ids.length]!;
    return message(seq++, keyGroupOf(id, keyGroups), { target: addr(id), caller: addr("caller-1", "caller", "test.callers") });
  });
  const delayed = range(40).map((i) => {
    const id = ids[(i * 7) % ids.length]!;
    return message(seq++, keyGroupOf(id, keyGroups), { target: addr(id), dueAt: 5_000_000 + i * 10, cancellationToken: `token-${i}` });
  });
  const keyed = range(10).map((i) =>
    ingress(seq++, keyGroupOf(`k${i}`, keyGroups), `request-${i}`, { target: addr(`k${i}`), idempotencyKey: `idem-${i}` }),
  );
  await store.commit(
    batch(fence, {
      ingress: keyed,
      messages: [...waiting, ...delayed],
      egress: range(30).map((i) => ({
        egress: "out",
        topic: i % 2 === 0 ? "even" : "odd",
        argument: text(`record ${i}`),
        createdAt: 2_000 + i,
      })),
      replies: range(12).map((i) => ({ requestId: `request-${i}`, argument: text(`reply ${i}`) })),
      deadLetters: range(5).map((i) => ({
        message: message(seq++, 0, { target: addr(`dead-${i}`) }),
        error: `failed ${i}`,
        attempts: i + 1,
        failedAt: 3_000 + i,
      })),
    }),
  );
  // Cancel some delayed messages, consume some waiting ones, deliver some egress, replay a dead letter.
  await store.commit(batch(fence, { cancelTokens: ["token-3", "token-4", "token-5"], consumed: waiting.slice(0, 7).map((m) => m.seq) }));
  const egress = await store.peekEgress("even", 4);
  await store.deleteEgress(egress.map((e) => e.id));
  const [dead] = await store.listDeadLetters(1);
  await store.commit(batch(fence, { replayed: [dead!.id] }));
  await store.commit(batch(fence, { sources: SOURCE_POSITIONS.map((p) => advance(p.source, p.partition, null, 1)) }));
  await store.commit(batch(fence, { sources: SOURCE_POSITIONS.map((p) => advance(p.source, p.partition, 1, p.position)) }));
}

/** The source positions `fillStore` leaves, in byte order of (source, partition). */
export const SOURCE_POSITIONS = [
  { source: "kafka-egress", partition: "outbox", position: 77 },
  { source: "kafka:orders", partition: "Orders/0", position: 5 },
  { source: "kafka:orders", partition: "orders/10", position: 9_007_199_254_740_000 },
  { source: "kafka:orders", partition: "orders/2", position: 42 },
  { source: "kafka:orders", partition: "ördërs/0", position: 3 },
];

function advance(source: string, partition: string, from: number | null, to: number): SourceAdvance {
  return { source, partition, from, to, messages: [], deadLetters: [] };
}
