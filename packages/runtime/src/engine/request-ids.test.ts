import { describe, expect, it } from "vitest";
import { newRequestId } from "./request-ids.js";

describe("newRequestId", () => {
  it("is a UUID version 7 (RFC 9562 variant) holding its time in milliseconds", () => {
    const id = newRequestId(Date.UTC(2026, 11, 4, 3, 0, 0, 123));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(Date.UTC(2026, 11, 4, 3, 0, 0, 123));
  });

  it("sorts ids made in a later millisecond after earlier ones, and never repeats one", () => {
    const ids = Array.from({ length: 1000 }, (_, i) => newRequestId(1_700_000_000_000 + Math.floor(i / 10)));
    for (let i = 10; i < ids.length; i++) expect(ids[i]! > ids[i - 10]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
