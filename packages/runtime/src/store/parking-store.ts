import type { StoredMessage } from "./records.js";

/** Messages to function types that are not loaded yet ("parked"), and since when each type is parked. */
export interface ParkingStore {
  /**
   * Immediate messages (no `dueAt`) to one function type `namespace/type`, in the key groups,
   * with `afterSeq < seq <= upToSeq`, in `seq` order: how parked messages are found when their
   * type is loaded (indexed by target type, never a scan of the whole inbox).
   */
  loadMessagesOfType(
    keyGroups: readonly number[],
    functionType: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]>;

  /**
   * Function types with parked messages and since when (epoch ms) they are parked: the durable
   * clock of the park timeout. `setParked(type, since)` records a type unless it is recorded
   * already (the first time wins); `setParked(type, undefined)` forgets it.
   */
  parkedTypes(): Promise<Map<string, number>>;
  setParked(functionType: string, since: number | undefined): Promise<void>;
}
