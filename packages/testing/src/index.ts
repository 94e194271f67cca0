export type { SendOptions, TestHarness } from "./harness.js";
export { testHarness } from "./harness.js";
export type { DelayedMessage, Invocation, RecordedEgress, RecordedMessage } from "./recorded.js";
export type { Run } from "./run.js";
