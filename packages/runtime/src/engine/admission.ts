import { type Address, checkAddress, functionTypeOf, keyGroupOf, StatefunError } from "@statefun-ts/protocol";
import { INGRESS_CALLER_NAMESPACE, INGRESS_CALLER_TYPE, type IngestReceipt, type IngestRequest } from "../api.js";
import { checkSameRequest, storedIdempotency } from "../idempotency.js";
import type { StoredMessage } from "../store/types.js";
import { type CommitUnit, type IngressPart, ingressUnit, unit } from "./commit-unit.js";
import type { Committer } from "./committer.js";
import type { EngineContext } from "./context.js";
import type { EarlyIngress } from "./early-ingress.js";
import { newRequestId } from "./request-ids.js";
import { encodeStateEdit, type StateEdit } from "./state-edit.js";

export interface AdmissionOptions {
  readonly context: EngineContext;
  readonly committer: Committer;
  /** Whether this worker owns a key group now: only messages of owned ones count in its backlog. */
  readonly owns: (keyGroup: number) => boolean;
  /** Waiting messages in the store when the engine starts. */
  readonly backlog: number;
  /** Awaited requests may reach their mailbox before their commit (a single owner; see `EarlyIngress`). */
  readonly early?: EarlyDelivery | undefined;
}

/** How the engine takes an ingress message before its commit. */
export interface EarlyDelivery {
  /** Told the seq of each message handed over early. */
  readonly seqs: EarlyIngress;
  /** Hands the message (to a function of `type`) to its mailbox now; false when it is to wait for its commit. */
  readonly deliver: (m: StoredMessage, type: string) => boolean;
}

/**
 * Lets messages from outside into the commit pipeline (ingress requests, replayed and discarded
 * dead letters, state edits) while the engine can take them: at most `maxPendingIngress` committing, and none once the
 * backlog (an estimate of the waiting messages, kept in memory) reaches `maxBacklog`.
 */
export class Admission {
  private readonly context: EngineContext;
  private readonly committer: Committer;
  private readonly owns: (keyGroup: number) => boolean;
  private backlog: number;
  private pendingIngress = 0;
  private readonly early: EarlyDelivery | undefined;

  constructor(options: AdmissionOptions) {
    this.early = options.early;
    this.context = options.context;
    this.committer = options.committer;
    this.owns = options.owns;
    this.backlog = options.backlog;
  }

  /** Immediate messages a commit stored, how many waiting ones it consumed, and how many more it stored that were handed over before it (all owned). */
  committed(immediate: readonly StoredMessage[], consumed: number, chained = 0): void {
    // In a cluster, messages for key groups of other workers are consumed (and counted) there.
    let owned = chained;
    for (const m of immediate) if (this.owns(m.keyGroup)) owned++;
    this.backlog += owned - consumed;
    if (this.backlog < 0) this.backlog = 0;
  }

  /** More work waits than the limits allow: pull sources (Kafka) pause reading (see `sources.ts`). */
  overloaded(): boolean {
    const { limits } = this.context;
    return this.backlog >= limits.maxBacklog || this.committer.pending >= limits.maxPendingIngress;
  }

  /** The store's backlog as just read again (other workers consume what this one sent them). */
  backlogRead(messages: number): void {
    this.backlog = messages;
  }

  /** See `Runtime.ingest`. */
  async ingest(request: IngestRequest): Promise<IngestReceipt> {
    const { bindings, limits, waiters, metrics, store } = this.context;
    const target = checkAddress(request.target, "ingress");
    const functionType = functionTypeOf(target);
    const accepts = bindings.binding(functionType)?.accepts;
    if (accepts && !accepts.has(request.argument.typename)) {
      throw new StatefunError(
        "STATEFUN_BAD_MESSAGE",
        `${functionType} does not accept messages of type ${request.argument.typename} (it accepts ${[...accepts].join(", ")})`,
      );
    }
    if (this.pendingIngress >= limits.maxPendingIngress || this.backlog + this.pendingIngress >= limits.maxBacklog) {
      throw new StatefunError(
        "STATEFUN_OVERLOADED",
        `overloaded: ${this.backlog} messages waiting, ${this.pendingIngress} requests committing`,
        {
          terminal: false,
        },
      );
    }
    const requestId = newRequestId();
    const idempotency = storedIdempotency(target, request.argument, request.idempotencyKey);
    const waiter = request.awaitReply ? waiters.register(requestId) : undefined;
    const caller: Address | undefined = request.awaitReply
      ? { namespace: INGRESS_CALLER_NAMESPACE, type: INGRESS_CALLER_TYPE, id: requestId }
      : undefined;
    this.pendingIngress++;
    const message = { seq: 0, keyGroup: keyGroupOf(target.id, this.context.keyGroups), target, caller, argument: request.argument };
    // An awaited request with no idempotency key (it cannot turn out a duplicate) runs before its
    // commit: a quick invocation commits with it, one commit for the request and its reply.
    const early = request.awaitReply && idempotency === undefined ? this.early : undefined;
    let duplicateOf: string | undefined;
    try {
      const ingress: IngressPart = {
        message,
        requestId,
        idempotencyKey: idempotency?.key,
        fingerprint: idempotency?.fingerprint,
        early: early?.seqs,
        handedOver: false,
      };
      const committed = new Promise<string | undefined>((resolve, reject) => {
        this.committer.enqueue(ingressUnit(ingress, (_, duplicate) => resolve(duplicate), reject));
      });
      // After the enqueue: the unit of its invocation must come after its own in the commit order.
      // Marked before: the invocation may run within the hand-over, and its unit form a batch with
      // this one (the committer posts a long queue as it grows), which must see it handed over.
      if (early !== undefined) {
        ingress.handedOver = true;
        if (!early.deliver(message, functionType)) ingress.handedOver = false;
      }
      duplicateOf = await committed;
    } catch (error) {
      waiter?.cancel();
      throw retryable(error);
    } finally {
      this.pendingIngress--;
    }
    if (duplicateOf !== undefined) {
      waiter?.cancel();
      if (idempotency !== undefined && request.idempotencyKey !== undefined) {
        await checkSameRequest(store, idempotency, { target, key: request.idempotencyKey, duplicateOf });
      }
    }
    metrics.count(duplicateOf === undefined ? "ingress_messages" : "ingress_duplicates", 1, functionType);
    if (duplicateOf === undefined) {
      return { requestId, duplicate: false, reply: waiter === undefined ? undefined : (ms) => waiter.wait(ms) };
    }
    if (!request.awaitReply) return { requestId: duplicateOf, duplicate: true };
    // A retry of an awaited request: answer with the first request's reply, committed or to come.
    const again = waiters.register(duplicateOf);
    const committed = await store.getReply(duplicateOf);
    if (committed) again.cancel();
    return {
      requestId: duplicateOf,
      duplicate: true,
      reply: committed ? async () => committed.argument : (ms) => again.wait(ms),
    };
  }

  /** Puts a dead-lettered message back into its target's inbox. False when there is no such dead letter. */
  async replayDeadLetter(id: number): Promise<boolean> {
    const letter = await this.context.store.getDeadLetter(id);
    if (letter === undefined) return false;
    const { seq: _seq, ...message } = letter.message;
    await this.commit({ messages: [{ ...message, seq: 0, dueAt: undefined }], replayed: [id] });
    return true;
  }

  /** Deletes dead letters for good, in one commit; answers how many of `ids` existed. */
  async discardDeadLetters(ids: readonly number[]): Promise<number> {
    const existing: number[] = [];
    for (const id of new Set(ids)) if ((await this.context.store.getDeadLetter(id)) !== undefined) existing.push(id);
    if (existing.length === 0) return 0;
    await this.commit({ replayed: existing });
    return existing.length;
  }

  /** See `Runtime.editState`: the edit goes to the instance's inbox, and its reply says it was applied. */
  async editState(address: Address, edit: StateEdit, timeoutMs: number): Promise<boolean> {
    const target = checkAddress(address, "state");
    const requestId = newRequestId();
    const waiter = this.context.waiters.register(requestId);
    const caller: Address = { namespace: INGRESS_CALLER_NAMESPACE, type: INGRESS_CALLER_TYPE, id: requestId };
    const keyGroup = keyGroupOf(target.id, this.context.keyGroups);
    try {
      await this.commit({ messages: [{ seq: 0, keyGroup, target, caller, argument: encodeStateEdit(edit) }] });
    } catch (error) {
      waiter.cancel();
      throw retryable(error);
    }
    // A type with no binding parks the edit with its messages: it applies, in order, once the type
    // is loaded. Nothing would answer before then, so the caller hears "committed, not applied yet".
    if (this.context.bindings.binding(functionTypeOf(target)) === undefined) {
      waiter.cancel();
      return false;
    }
    return (await waiter.wait(timeoutMs)) !== undefined;
  }

  /** Commits a unit of requests from outside; resolves once it is durable. */
  private commit(parts: Omit<Partial<CommitUnit>, "committed" | "failed">): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.committer.enqueue(unit({ ...parts, committed: () => resolve(), failed: reject }));
    });
  }
}

/** A commit refused because another worker took over stored nothing: the client may retry (with its idempotency key). */
function retryable(error: unknown): unknown {
  if (!StatefunError.is(error) || error.code !== "STATEFUN_FENCED") return error;
  return new StatefunError("STATEFUN_CLOSED", `not stored, retry: ${error.message}`, { cause: error, terminal: false });
}
