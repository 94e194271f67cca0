/** How long `until` waits, how often it looks, and what it adds to its error. */
export interface UntilOptions {
  /** Gives up after this long (default 15 s: a bound for a stuck test, never a measurement). */
  readonly timeoutMs?: number;
  /** Pause between two checks (default 5 ms). */
  readonly intervalMs?: number;
  /** Appended to the error when it gives up: the state that explains why (a log tail, a store view). */
  readonly explain?: () => string | Promise<string>;
}

/**
 * Waits for a condition, never for a time: resolves as soon as `check` holds, and fails after a
 * generous bound with an error naming `what` it waited for.
 *
 * ```ts
 * await until(async () => (await countOf(rt, "a")) === 2, "the count of a to reach 2");
 * ```
 */
export async function until(
  check: () => boolean | Promise<boolean>,
  what = "a condition",
  { timeoutMs = 15_000, intervalMs = 5, explain }: UntilOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const why = explain ? `\n${await explain()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits for `check` to stop throwing (an `expect` that will hold), and rethrows its last error once past the bound. */
export async function eventually(
  check: () => void | Promise<void>,
  { timeoutMs = 15_000, intervalMs = 50 }: UntilOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
