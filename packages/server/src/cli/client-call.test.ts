import type { AddressInfo } from "node:net";
import { BoolCodec, BuiltinTypeNames, IntCodec, type TypedValue } from "@statefun-ts/protocol";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingressApp } from "../http/ingress.js";
import { type CliOutput, callCommand } from "./client.js";

const replies: Record<string, TypedValue> = {
  int: { typename: BuiltinTypeNames.int, value: IntCodec.encode(5) },
  bool: { typename: BuiltinTypeNames.bool, value: BoolCodec.encode(true) },
  json: { typename: "example/Greeting", value: new TextEncoder().encode('{"text":"hi"}') },
  proto: { typename: "type.googleapis.com/example.Greeting", value: new Uint8Array([0x0a, 0x02, 0x68, 0x69]) },
};

describe("statefun call prints replies readably (real ingress)", () => {
  let app: FastifyInstance;
  let ingress: string;
  beforeAll(async () => {
    app = ingressApp({
      ingresses: () => [],
      getReply: async () => undefined,
      async ingest(request) {
        const value = replies[request.target.id];
        return { requestId: "r", duplicate: false, reply: async () => value };
      },
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    ingress = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  const call = async (id: string) => {
    const chunks: Buffer[] = [];
    const out: CliOutput = { stdout: (d) => void chunks.push(Buffer.from(d)), readStdin: async () => new Uint8Array(0) };
    await callCommand(
      { address: { namespace: "ex", type: "f", id }, body: "x", type: undefined, idempotencyKey: undefined, ingress, timeout: "1s" },
      out,
    );
    return Buffer.concat(chunks).toString();
  };

  it("decodes built-in types, prints JSON as is, and other bytes as their typename and base64", async () => {
    expect(await call("int")).toBe("5\n");
    expect(await call("bool")).toBe("true\n");
    expect(await call("json")).toBe('{"text":"hi"}\n');
    expect(await call("proto")).toBe("type.googleapis.com/example.Greeting base64:CgJoaQ==\n");
  });
});
