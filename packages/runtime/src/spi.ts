/**
 * The store contract (service provider interface): the role interfaces a store implements, the
 * records they carry, and the row decoders the SQL stores share. A store depends on this entry
 * (`@statefun-ts/runtime/spi`) only, never on the engine.
 */
export type { StateSpecInfo } from "./binding.js";
// Every role, record and `Store` itself: `store/types.ts` lists them once.
export { isNoSpace } from "./store/no-space.js";
export type { Row } from "./store/row-decoders.js";
export { bytes, MESSAGE_COLUMNS, toDeadLetter, toEgressRow, toExpiredRow, toMessage, toReply, toStateEntry } from "./store/row-decoders.js";
export { holdsRows, NEXT_ID_OF, SNAPSHOT_KINDS, zeroCounts } from "./store/snapshot.js";
export * from "./store/types.js";
