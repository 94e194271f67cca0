import type { StoreChange } from "../store/types.js";
import type { MembershipHooks } from "./membership.js";
import type { EngineParts } from "./ownership.js";

/** Heartbeats between two reads of the store's backlog. */
const BACKLOG_EVERY = 30;

/** How the engine reacts to ownership changes. */
export function clusterHooks(parts: EngineParts): MembershipHooks {
  let polls = 0;
  return {
    acquired() {
      parts.inbox.reset();
      parts.timers.rescan();
    },
    async quiesce(keyGroups) {
      // In-flight invocations finish and commit; retry backoffs run out (nothing new starts here).
      // (A failed committer never commits them: the engine is being replaced, stop waiting.)
      while (parts.dispatcher.busyIn(keyGroups) && !parts.committer.failed) {
        await parts.committer.settled();
        if (!parts.dispatcher.busyIn(keyGroups)) break;
        await new Promise<void>((resolve) => parts.clock.setTimeout(resolve, 10));
      }
      parts.dispatcher.drop(keyGroups);
      parts.inbox.drop(keyGroups);
      parts.timers.drop(keyGroups);
    },
    lost(error) {
      parts.fatal(error);
    },
    polled() {
      parts.inbox.wake();
      parts.timers.rescan();
      fetchReplies(parts, parts.waiters.ids());
      if (++polls % BACKLOG_EVERY === 0) parts.resyncBacklog();
    },
  };
}

/** A commit of another worker (`Store.watch`): read what concerns this one. */
export function onStoreChange(parts: EngineParts): (change: StoreChange) => void {
  return (change) => {
    if (change.origin === parts.owner) return;
    if (change.messages === undefined || change.messages.some((kg) => parts.owns(kg))) parts.inbox.wake();
    if (change.timers === undefined || change.timers.some((kg) => parts.owns(kg))) parts.timers.rescan();
    const replies = change.replies === undefined ? parts.waiters.ids() : change.replies.filter((id) => parts.waiters.has(id));
    fetchReplies(parts, replies);
  };
}

/** Replies committed by other workers for requests waiting here. */
function fetchReplies(parts: EngineParts, requestIds: readonly string[]): void {
  for (const id of requestIds) {
    parts.store.getReply(id).then(
      (reply) => {
        if (reply !== undefined) parts.waiters.resolve(id, reply.argument);
      },
      (error) => parts.logger.warn({ error: String(error), requestId: id }, "reading a reply failed"),
    );
  }
}
