import type { FunctionGauge } from "../observe.js";
import type { Mailbox } from "./mailbox.js";

/** Sums the cached mailboxes by function type: messages queued, addresses busy, addresses retrying a failed message. */
export function functionGauges(mailboxes: Iterable<Mailbox>): Map<string, FunctionGauge> {
  const out = new Map<string, { queued: number; busy: number; retrying: number }>();
  for (const mb of mailboxes) {
    if (mb.queue.length === 0 && !mb.busy) continue;
    let g = out.get(mb.functionType);
    if (g === undefined) {
      g = { queued: 0, busy: 0, retrying: 0 };
      out.set(mb.functionType, g);
    }
    g.queued += mb.queue.length;
    if (mb.busy) g.busy++;
    if (mb.attempts > 0) g.retrying++;
  }
  return out;
}
