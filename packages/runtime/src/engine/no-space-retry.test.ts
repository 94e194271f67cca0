import { StatefunError } from "@statefun-ts/protocol";
import { until } from "@statefun-ts/test-kit";
import { describe, expect, it } from "vitest";
import { isNoSpace } from "../store/no-space.js";
import type { CommitBatch } from "../store/types.js";
import { type CommitUnit, unit } from "./commit-unit.js";
import { committerOn, heldStore } from "./fixtures/committer.js";

/** The error better-sqlite3 throws when the disk is full (a fake only here: the tmpfs test in packages/server throws the real one). */
const sqliteFull = () => Object.assign(new Error("database or disk is full"), { name: "SqliteError", code: "SQLITE_FULL" });
const argument = { typename: "t/x", value: new Uint8Array(0) };
const target = (id: string) => ({ namespace: "t", type: "x", id });

/** A memory store whose commits fail for lack of space while `full` is true. */
async function fillableStore() {
  const worker = await heldStore();
  const { store } = worker;
  const disk = { full: false, failedCommits: 0 };
  const commit = store.commit.bind(store);
  store.commit = (batch: CommitBatch) => {
    if (disk.full) {
      disk.failedCommits++;
      return Promise.reject(sqliteFull());
    }
    return commit(batch);
  };
  return { ...worker, disk };
}

/** An invocation's effects (it consumed a message and has a mailbox): kept through a full disk. */
const invocation = (id: string, committed: string[]): CommitUnit =>
  unit({
    mailbox: { pendingCommits: 1 },
    replies: [{ requestId: id, argument }],
    committed: () => committed.push(id),
    failed: (error) => committed.push(`failed ${id}: ${String(error)}`),
  });

/** An ingress request: refused while the disk is full. */
const ingress = (id: string, outcome: Map<string, string>): CommitUnit =>
  unit({
    ingress: { message: { seq: 0, keyGroup: 0, target: target(id), argument }, requestId: id },
    committed: () => outcome.set(id, "committed"),
    failed: (error) => outcome.set(id, StatefunError.is(error) ? error.code : String(error)),
  });

describe("Committer on a full disk", () => {
  it("classifies the no-space errors of SQLite, the file system and PostgreSQL, also as a cause", () => {
    expect(isNoSpace(sqliteFull())).toBe(true);
    expect(isNoSpace(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }))).toBe(true);
    expect(isNoSpace(Object.assign(new Error("could not extend file"), { code: "53100" }))).toBe(true);
    expect(isNoSpace(new Error("wrapped", { cause: sqliteFull() }))).toBe(true);
    expect(isNoSpace(Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" }))).toBe(false);
    expect(isNoSpace(new StatefunError("STATEFUN_FENCED", "fenced"))).toBe(false);
  });

  it.each([false, true])(
    "keeps the engine's units and commits them once space returns; refuses ingress meanwhile, then takes it again (pipelined %s)",
    async (pipelined) => {
      const worker = await fillableStore();
      const { store, disk } = worker;
      const fatal: unknown[] = [];
      const committer = committerOn(worker, {
        onFatal: (error) => fatal.push(error),
        pipelined,
      });
      const committed: string[] = [];
      const outcome = new Map<string, string>();
      disk.full = true;
      committer.enqueue(invocation("a", committed));
      committer.enqueue(ingress("in-1", outcome));
      committer.enqueue(invocation("b", committed));
      await until(() => disk.failedCommits >= 1, "a commit to fail");
      expect(committer.storeFull).toBe(true);
      // The ingress request in the failed batch is answered at once, not held until space returns.
      expect(outcome.get("in-1")).toBe("STATEFUN_DISK_FULL");
      // A new one is refused at once during the backoff, or tried with the retry and refused when it fails.
      committer.enqueue(ingress("in-2", outcome));
      await until(() => outcome.has("in-2"), "an answer to in-2");
      expect(outcome.get("in-2")).toBe("STATEFUN_DISK_FULL");
      committer.enqueue(invocation("c", committed));
      await until(() => disk.failedCommits >= 3, "two retries to fail");
      expect(committed).toEqual([]);
      expect(fatal).toEqual([]);

      disk.full = false;
      await until(() => committed.length === 3, "the kept units to commit");
      await committer.flush();
      expect(committed).toEqual(["a", "b", "c"]);
      expect(committer.storeFull).toBe(false);
      expect(fatal).toEqual([]);
      for (const id of ["a", "b", "c"]) expect(await store.getReply(id), id).toBeDefined();
      committer.enqueue(ingress("in-3", outcome));
      await committer.flush();
      expect(outcome.get("in-3")).toBe("committed");
    },
  );

  it("sees space return with nothing but refused requests to commit: a request after the backoff is a probe", async () => {
    const worker = await fillableStore();
    const { disk } = worker;
    const committer = committerOn(worker);
    const outcome = new Map<string, string>();
    disk.full = true;
    committer.enqueue(ingress("in-1", outcome));
    await committer.flush();
    expect(outcome.get("in-1")).toBe("STATEFUN_DISK_FULL");
    expect(committer.storeFull).toBe(true);
    disk.full = false;
    let n = 2;
    await until(async () => {
      const id = `in-${n++}`;
      committer.enqueue(ingress(id, outcome));
      await committer.flush();
      return outcome.get(id) === "committed";
    }, "a request to be taken once space is back");
    expect(committer.storeFull).toBe(false);
  });

  it("stopRetrying: a stop while the disk is full fails the kept units (nothing committed) instead of waiting for space", async () => {
    const worker = await fillableStore();
    const { store, disk } = worker;
    const committer = committerOn(worker);
    const committed: string[] = [];
    disk.full = true;
    committer.enqueue(invocation("a", committed));
    await until(() => disk.failedCommits >= 2, "a retry to fail");
    committer.stopRetrying(new StatefunError("STATEFUN_CLOSED", "stopping"));
    await committer.flush();
    expect(committed).toEqual(["failed a: StatefunError: stopping"]);
    expect(await store.getReply("a")).toBeUndefined();
  });

  it("still fails for good on any other commit error", async () => {
    const worker = await fillableStore();
    const { store } = worker;
    store.commit = () => Promise.reject(Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" }));
    const fatal: unknown[] = [];
    const committer = committerOn(worker, {
      onFatal: (error) => fatal.push(error),
    });
    const committed: string[] = [];
    committer.enqueue(invocation("a", committed));
    await committer.flush();
    expect(fatal).toHaveLength(1);
    expect(committer.failed).toBe(true);
    expect(committer.storeFull).toBe(false);
    expect(committed[0]).toContain("failed a");
  });
});
