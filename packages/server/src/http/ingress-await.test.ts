import type { IngestReceipt } from "@statefun-ts/runtime";
import { describe, expect, it } from "vitest";
import { type IngressRuntime, ingressApp, MAX_AWAIT_MS } from "./ingress.js";

describe("ingress ?await bounds", () => {
  it("refuses ?await above the maximum with 400 naming it, instead of timing out at once", async () => {
    let ingested = 0;
    const runtime: IngressRuntime = {
      ingresses: () => [],
      getReply: async () => undefined,
      async ingest(): Promise<IngestReceipt> {
        ingested++;
        return { requestId: "r", duplicate: false, reply: async () => undefined };
      },
    };
    const app = ingressApp(runtime);
    for (const wait of ["25d", "6min", `${MAX_AWAIT_MS + 1}ms`]) {
      const res = await app.inject({ method: "PUT", url: `/a/b/c?await=${wait}`, payload: "x" });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: "STATEFUN_BAD_REQUEST", error: expect.stringContaining(`at most ${MAX_AWAIT_MS / 1000}s`) });
    }
    expect(ingested).toBe(0);
  });
});
