import { describe, expect, it } from "vitest";
import { MAX_DURATION_MS, toMillis } from "./duration.js";

describe("toMillis", () => {
  it("reads a bare number, or numeric text, as milliseconds", () => {
    expect(toMillis(1500)).toBe(1500);
    expect(toMillis("1500")).toBe(1500);
  });

  // StateFun reads the durations of a module file (transport timeouts, expiry, Kafka transaction
  // timeouts) with Flink's TimeUtils.parseDuration: every label it knows, singular and plural,
  // in any case, with or without a space after the number.
  it.each([
    ["2d", 172_800_000],
    ["1 day", 86_400_000],
    ["2days", 172_800_000],
    ["1h", 3_600_000],
    ["1 hour", 3_600_000],
    ["2 hours", 7_200_000],
    ["2m", 120_000],
    ["2min", 120_000],
    ["1 minute", 60_000],
    ["2 minutes", 120_000],
    ["5s", 5000],
    ["5 sec", 5000],
    ["5secs", 5000],
    ["1 second", 1000],
    ["5 seconds", 5000],
    ["500ms", 500],
    ["500 milli", 500],
    ["500millis", 500],
    ["1 millisecond", 1],
    ["500 milliseconds", 500],
    ["3000µs", 3],
    ["3000 micro", 3],
    ["3000 micros", 3],
    ["3000 microsecond", 3],
    ["3000 microseconds", 3],
    ["4000000ns", 4],
    ["4000000 nano", 4],
    ["4000000 nanos", 4],
    ["4000000 nanosecond", 4],
    ["4000000 nanoseconds", 4],
    ["10 MIN", 600_000],
    ["10 Seconds", 10_000],
    ["  20s  ", 20_000],
  ])("reads %j as Flink does", (text, ms) => {
    expect(toMillis(text)).toBe(ms);
  });

  it("refuses text that is not a duration, naming the field", () => {
    expect(() => toMillis("soon", "spec.transport.call")).toThrow(/spec\.transport\.call: invalid duration "soon"/);
    expect(() => toMillis("5 fortnights")).toThrow(/invalid duration/);
    expect(() => toMillis("s")).toThrow(/invalid duration/);
    expect(() => toMillis(-1)).toThrow(/not a non-negative number/);
  });

  it("refuses a duration past 10000 years, whose due time would not be a date (a delay of 2^63 ms)", () => {
    expect(toMillis(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(toMillis("3650000d")).toBe(3_650_000 * 86_400_000);
    expect(() => toMillis(1e300, "sendAfter delay")).toThrow(/sendAfter delay: 1e\+300 is longer than the longest duration, 10000 years/);
    expect(() => toMillis("9223372036854775807ms")).toThrow(/longer than the longest duration/);
    expect(() => toMillis("99999999999999d", "?await")).toThrow(/\?await: "99999999999999d" is longer/);
  });
});
