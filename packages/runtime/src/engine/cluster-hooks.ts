import type { StoreChange } from "../store/cluster-types.js";
import type { MembershipHooks } from "./membership.js";
import type { EngineParts } from "./ownership.js";

/** Heartbeats between two reads of the store's backlog. */
const BACKLOG_EVERY = 30;

/** How the engine reacts to ownership changes. */
export function clusterHooks(p: EngineParts): MembershipHooks {
  let polls = 0;
  return {
    acquired() {
      p.inbox.reset();
      p.timers.rescan();
    },
    async quiesce(keyGroups) {
      // In-flight invocations finish and commit; retry backoffs run out (nothing new starts here).
      // (A failed committer never commits them: the engine is being replaced, stop waiting.)
      while (p.dispatcher.busyIn(keyGroups) && !p.committer.failed) {
        await p.committer.settled();
        if (!p.dispatcher.busyIn(keyGroups)) break;
        await new Promise<void>((resolve) => p.clock.setTimeout(resolve, 10));
      }
      p.dispatcher.drop(keyGroups);
      p.inbox.drop(keyGroups);
      p.timers.drop(keyGroups);
    },
    lost(error) {
      p.fatal(error);
    },
    polled() {
      p.inbox.wake();
      p.timers.rescan();
      fetchReplies(p, p.waiters.ids());
      if (++polls % BACKLOG_EVERY === 0) p.resyncBacklog();
    },
  };
}

/** A commit of another worker (`Store.watch`): read what concerns this one. */
export function onStoreChange(p: EngineParts): (change: StoreChange) => void {
  return (change) => {
    if (change.origin === p.owner) return;
    if (change.messages === undefined || change.messages.some((kg) => p.owns(kg))) p.inbox.wake();
    if (change.timers === undefined || change.timers.some((kg) => p.owns(kg))) p.timers.rescan();
    const replies = change.replies === undefined ? p.waiters.ids() : change.replies.filter((id) => p.waiters.has(id));
    fetchReplies(p, replies);
  };
}

/** Replies committed by other workers for requests waiting here. */
function fetchReplies(p: EngineParts, requestIds: readonly string[]): void {
  for (const id of requestIds) {
    p.store.getReply(id).then(
      (reply) => {
        if (reply !== undefined) p.waiters.resolve(id, reply.argument);
      },
      (error) => p.logger.warn({ error: String(error), requestId: id }, "reading a reply failed"),
    );
  }
}
