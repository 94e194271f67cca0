import { Types } from "@statefun-ts/sdk";
import { describe, expect, it } from "vitest";
import { FunctionBindings } from "../function-bindings.js";
import { noMetrics } from "../observe.js";
import { MemoryStore } from "../store/memory-store.js";
import { Admission } from "./admission.js";
import type { CommitUnit } from "./commit-unit.js";
import type { Committer } from "./committer.js";
import type { EngineContext } from "./context.js";
import type { EarlyIngress } from "./early-ingress.js";
import { DEFAULT_LIMITS } from "./options.js";
import { ReplyWaiters } from "./replies.js";

/** An admission whose committer only keeps the units enqueued, handing awaited requests over with `deliver`. */
function admissionWith(deliver: () => boolean, units: CommitUnit[]): Admission {
  const committer = { enqueue: (u: CommitUnit) => units.push(u), pending: 0 } as unknown as Committer;
  const context = {
    store: new MemoryStore(),
    limits: DEFAULT_LIMITS,
    keyGroups: 16,
    bindings: new FunctionBindings(),
    waiters: new ReplyWaiters(),
    metrics: noMetrics,
  } as unknown as EngineContext;
  return new Admission({ context, committer, owns: () => true, backlog: 0, early: { seqs: {} as EarlyIngress, deliver } });
}

const request = {
  target: { namespace: "t", type: "f", id: "a" },
  argument: { typename: Types.int.typename, value: Types.int.serialize(1) },
  awaitReply: true,
};

describe("Admission", () => {
  it("marks an awaited request handed over before handing it over: a batch formed during the hand-over sees it as such", async () => {
    const units: CommitUnit[] = [];
    // The invocation may run within the hand-over and its unit form a batch with the request's
    // (the committer posts a long queue as it grows): that batch must see the request handed over.
    let handedOverWhileDelivering: boolean | undefined;
    const admission = admissionWith(() => {
      handedOverWhileDelivering = units[0]?.ingress?.handedOver;
      return true;
    }, units);
    const receipt = admission.ingest(request);
    expect(units).toHaveLength(1);
    expect(handedOverWhileDelivering).toBe(true);
    units[0]!.committed?.([], undefined, 0);
    expect((await receipt).duplicate).toBe(false);
  });

  it("leaves a request it could not hand over unmarked: it goes to its mailbox once committed", async () => {
    const units: CommitUnit[] = [];
    const receipt = admissionWith(() => false, units).ingest(request);
    expect(units[0]?.ingress?.handedOver).toBe(false);
    units[0]!.committed?.([], undefined, 0);
    expect((await receipt).duplicate).toBe(false);
  });
});
