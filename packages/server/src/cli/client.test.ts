import type { AddressInfo } from "node:net";
import { StatefunError, StringCodec } from "@statefun-ts/protocol";
import type { IngestRequest } from "@statefun-ts/runtime";
import { str } from "@statefun-ts/test-kit";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingressApp } from "../http/ingress.js";
import { CliError, type CliOutput, callCommand, sendCommand } from "./client.js";

const address = { namespace: "example", type: "greeter", id: "b/ob" };

function capture(stdin = ""): CliOutput & { text: () => string } {
  const chunks: Buffer[] = [];
  return {
    stdout: (data) => void chunks.push(Buffer.from(data)),
    readStdin: async () => new TextEncoder().encode(stdin),
    text: () => Buffer.concat(chunks).toString(),
  };
}

describe("CLI client commands against a real ingress", () => {
  const requests: IngestRequest[] = [];
  let app: FastifyInstance;
  let ingress: string;

  beforeAll(async () => {
    app = ingressApp({
      ingresses: () => [],
      getReply: async () => undefined,
      async ingest(request) {
        if (request.target.id === "busy") throw new StatefunError("STATEFUN_OVERLOADED", "overloaded: try later");
        requests.push(request);
        const reply = async () => str(`Hello ${request.target.id}`);
        return { requestId: `req-${requests.length}`, duplicate: false, reply: request.awaitReply ? reply : undefined };
      },
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    ingress = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it("send posts the body (or stdin) with its type and prints the request id", async () => {
    const out = capture();
    await sendCommand({ address, body: "hi", type: undefined, idempotencyKey: "k", ingress }, out);
    expect(out.text()).toBe("req-1\n");
    expect(requests[0]!.target).toEqual(address);
    expect(StringCodec.decode(requests[0]!.argument.value)).toBe("hi");
    expect(requests[0]!.idempotencyKey).toBe("k");

    const piped = capture('{"name":"x"}');
    await sendCommand({ address, body: undefined, type: "example/GreetRequest", idempotencyKey: undefined, ingress }, piped);
    expect(requests[1]!.argument.typename).toBe("example/GreetRequest");
    expect(Buffer.from(requests[1]!.argument.value).toString()).toBe('{"name":"x"}');
  });

  it("call prints the reply", async () => {
    const out = capture();
    await callCommand({ address, body: "hi", type: undefined, idempotencyKey: undefined, ingress, timeout: "1s" }, out);
    expect(out.text()).toBe("Hello b/ob\n");
    expect(requests.at(-1)!.awaitReply).toBe(true);
  });

  it("fails with the server's message on non-2xx and when the ingress is down", async () => {
    const busy = { ...address, id: "busy" };
    const send = sendCommand({ address: busy, body: "x", type: undefined, idempotencyKey: undefined, ingress }, capture());
    await expect(send).rejects.toThrow(CliError);
    await expect(send).rejects.toThrow(/HTTP 503: overloaded: try later \[STATEFUN_OVERLOADED\]/);
    const down = sendCommand({ address, body: "x", type: undefined, idempotencyKey: undefined, ingress: "http://127.0.0.1:1" }, capture());
    await expect(down).rejects.toThrow(/cannot reach the ingress at http:\/\/127\.0\.0\.1:1/);
  });
});
