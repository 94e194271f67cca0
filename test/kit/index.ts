/**
 * Test support shared by the tests of every package and the cross-package suites (imported as
 * `@statefun-ts/test-kit`: a vitest alias and a tsconfig path, never a published package).
 * The clocks for tests live next to the runtime's clock: `ManualClock`, `OffsetClock` from
 * `@statefun-ts/runtime`.
 */

export * from "./command-trees.js";
export * from "./commands.js";
export * from "./until.js";
export * from "./values.js";
