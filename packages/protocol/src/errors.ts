const brand = Symbol.for("statefun-ts.error");

/** Stable error codes. A code never changes meaning once released. */
export type ErrorCode =
  | "STATEFUN_BAD_TYPENAME"
  | "STATEFUN_BAD_ADDRESS"
  | "STATEFUN_BAD_MESSAGE"
  | "STATEFUN_UNKNOWN_TYPE"
  | "STATEFUN_STATE_TYPE"
  | "STATEFUN_FENCED"
  | "STATEFUN_CONFLICT"
  | "STATEFUN_CLOSED"
  | "STATEFUN_OVERLOADED"
  | "STATEFUN_BAD_MODULE"
  | "STATEFUN_BAD_CONFIG"
  | "STATEFUN_FUNCTION_FAILED"
  | "STATEFUN_TIMEOUT"
  | "STATEFUN_IDEMPOTENCY_CONFLICT"
  | "STATEFUN_DISK_FULL";

/**
 * The one base error of Statefun TS: a stable `code`, a message carrying the offending
 * input, an optional `cause`, and whether retrying can help (`terminal: false`).
 * `instanceof` works across two copies of the library (the brand is a global symbol).
 *
 * @example
 * try { parseTypeName("nope") } catch (e) { if (StatefunError.is(e)) console.log(e.code) }
 */
export class StatefunError extends Error {
  readonly code: ErrorCode;
  readonly terminal: boolean;
  /** How many attempts the failure took, when it retried by itself (a remote function's HTTP requests within its call budget). */
  readonly attempts: number | undefined;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; terminal?: boolean; attempts?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StatefunError";
    this.code = code;
    this.terminal = options.terminal ?? true;
    this.attempts = options.attempts;
    Object.defineProperty(this, brand, { value: true });
  }

  static is(value: unknown): value is StatefunError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  /** Brand-based for the base class (two library copies agree); prototype-based for subclasses. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === StatefunError) return StatefunError.is(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}
