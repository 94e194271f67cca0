import type { DeadLetter } from "./records.js";

/** Counts: messages waiting (immediate), delayed messages, egress records, dead letters. */
export interface StoreStats {
  messages: number;
  timers: number;
  egress: number;
  deadLetters: number;
}

/** What the admin API reads: dead letters and counts. */
export interface AdminReads {
  listDeadLetters(limit: number, afterId?: number): Promise<DeadLetter[]>;
  getDeadLetter(id: number): Promise<DeadLetter | undefined>;
  /** Counts: messages waiting (immediate), delayed messages, egress records, dead letters. */
  stats(): Promise<StoreStats>;
}
