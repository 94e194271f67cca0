import { StatefunError } from "@statefun-ts/protocol";
import { describe, expect, it } from "vitest";
import { toHttpError } from "./errors.js";

describe("toHttpError on a full disk", () => {
  it("answers 507 STATEFUN_DISK_FULL with Retry-After for a store write that found no space (the driver's error, or as a cause)", () => {
    const sqlite = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    for (const error of [
      sqlite,
      new Error("claim failed", { cause: sqlite }),
      Object.assign(new Error("could not extend file"), { code: "53100" }),
    ]) {
      const answer = toHttpError(error);
      expect(answer.status).toBe(507);
      expect(answer.code).toBe("STATEFUN_DISK_FULL");
      expect(answer.message).toContain("disk is full");
      expect(answer.headers["retry-after"]).toBe("10");
    }
  });

  it("answers 507 for the engine's refusal, and 500 for other store errors", () => {
    const refused = toHttpError(new StatefunError("STATEFUN_DISK_FULL", "the store's disk is full", { terminal: false }));
    expect([refused.status, refused.code, refused.headers["retry-after"]]).toEqual([507, "STATEFUN_DISK_FULL", "10"]);
    expect(toHttpError(Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" })).status).toBe(500);
  });
});
