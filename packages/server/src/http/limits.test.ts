import { describe, expect, it } from "vitest";
import { DEFAULT_HTTP_LIMITS, httpLimits } from "./limits.js";

describe("httpLimits", () => {
  it("caps the connections of a server by the open-file limit, leaving a reserve for the admin API and the store", () => {
    expect(httpLimits({}, 1024).maxConnections).toBe(277);
    expect(httpLimits({}, 256).maxConnections).toBe(21);
    expect(httpLimits({}, 1_048_576).maxConnections).toBe(DEFAULT_HTTP_LIMITS.maxConnections);
    expect(httpLimits({}, 100).maxConnections).toBe(16);
    expect(httpLimits({ maxConnections: 500 }, 256).maxConnections).toBe(500);
    expect(httpLimits({ requestTimeoutMs: 5 }, 1_048_576)).toEqual({ ...DEFAULT_HTTP_LIMITS, requestTimeoutMs: 5 });
  });
});
