import type { Invoker } from "../binding.js";

/**
 * The slots of invokers that bound their invocations at once (`Invoker.maxInFlight`): an
 * invocation enters when its invoker has a free slot; otherwise its mailbox waits here, in
 * arrival order, and the invocation that leaves hands its slot to the first one waiting.
 *
 * @example
 * if (!gates.enter(invoker, mb)) return; // mb waits; gates.leave(invoker, schedule) later gives it back
 */
export class InvokerGates<M> {
  private readonly gates = new Map<Invoker, { running: number; readonly waiting: M[] }>();

  /** True when an invocation of `invoker` may start (its slot taken); false when `waiter` was queued instead. */
  enter(invoker: Invoker, waiter: M): boolean {
    const limit = invoker.maxInFlight;
    if (limit === undefined) return true;
    let gate = this.gates.get(invoker);
    if (gate === undefined) {
      gate = { running: 0, waiting: [] };
      this.gates.set(invoker, gate);
    }
    if (gate.running >= Math.max(1, limit)) {
      gate.waiting.push(waiter);
      return false;
    }
    gate.running++;
    return true;
  }

  /**
   * An invocation of `invoker` ended: `release` gets the first waiter, to be scheduled again (it
   * enters again when it runs), or every waiter once none of `invoker` runs (a binding replaced
   * meanwhile: they go to the new one's gate instead of waiting for slots nobody will free).
   */
  leave(invoker: Invoker, release: (waiter: M) => void): void {
    const gate = this.gates.get(invoker);
    if (gate === undefined) return;
    gate.running--;
    if (gate.running > 0) {
      const next = gate.waiting.shift();
      if (next !== undefined) release(next);
      return;
    }
    this.gates.delete(invoker);
    for (const waiter of gate.waiting) release(waiter);
  }

  /** How many wait for a slot, over every invoker. */
  get waiting(): number {
    let n = 0;
    for (const gate of this.gates.values()) n += gate.waiting.length;
    return n;
  }
}

/** One invocation's slot in its invoker's gate: freed once, when the invocation ends or earlier when it asks (`InvokeRequest.releaseSlot`). */
export class GateSlot<M> {
  private held = true;

  constructor(
    private readonly gates: InvokerGates<M>,
    private readonly invoker: Invoker,
    private readonly release: (waiter: M) => void,
  ) {}

  /** Frees the slot (once): its first waiter, if any, goes to `release`. */
  free(): void {
    if (!this.held) return;
    this.held = false;
    this.gates.leave(this.invoker, this.release);
  }
}
