import { SqliteStore, ThreadedSqliteStore } from "@statefun-ts/store-sqlite";
import { describe, expect, it } from "vitest";
import { embeddedStore, SQLITE_THREAD_ENV } from "./embedded-store.js";

describe("embeddedStore", () => {
  it("runs SQLite on a thread of its own unless STATEFUN_SQLITE_THREAD=0", () => {
    expect(embeddedStore("d", {})).toBeInstanceOf(ThreadedSqliteStore);
    expect(embeddedStore("d", { [SQLITE_THREAD_ENV]: "" })).toBeInstanceOf(ThreadedSqliteStore);
    expect(embeddedStore("d", { [SQLITE_THREAD_ENV]: "1" })).toBeInstanceOf(ThreadedSqliteStore);
    expect(embeddedStore("d", { [SQLITE_THREAD_ENV]: "0" })).toBeInstanceOf(SqliteStore);
  });

  it("refuses another value, naming the variable", () => {
    expect(() => embeddedStore("d", { [SQLITE_THREAD_ENV]: "yes" })).toThrow(
      expect.objectContaining({
        code: "STATEFUN_BAD_CONFIG",
        message: expect.stringMatching(/STATEFUN_SQLITE_THREAD must be 0 or 1, got "yes"/),
      }),
    );
  });
});
