import { createServer, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { guardConnections } from "./connection-guard.js";

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A server that holds every request's answer until told, guarded at `max` connections. */
async function holding(max: number) {
  const held: ServerResponse[] = [];
  let arrived: () => void = () => {};
  server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      held.push(response);
      arrived();
    });
  });
  guardConnections(server, max);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const open = async () => {
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});
    sockets.push(socket);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    return { socket, closed };
  };
  /** Sends a whole request and resolves once the server holds it. */
  const request = async () => {
    const c = await open();
    const got = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    c.socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
    await got;
    return c;
  };
  return { held, open, request };
}

describe("guardConnections", () => {
  it("past the limit, closes the oldest connection still sending its request, not the new one", async () => {
    const { open, request, held } = await holding(2);
    const slow = await open();
    slow.socket.write("POST / HTTP/1.1\r\nHost: x\r\n");
    const waiting = await request();
    const fresh = await request();
    await slow.closed;
    expect(held).toHaveLength(2);
    expect(waiting.socket.destroyed || fresh.socket.destroyed).toBe(false);
  });

  it("past the limit, closes the new connection when every open one waits for its answer", async () => {
    const { open, request } = await holding(2);
    const a = await request();
    const b = await request();
    const extra = await open();
    await extra.closed;
    expect(a.socket.destroyed || b.socket.destroyed).toBe(false);
  });

  it("an answered connection, idle again, may be closed for a new one", async () => {
    const { open, request, held } = await holding(1);
    const first = await request();
    held[0]!.end("done");
    await new Promise<void>((resolve) => first.socket.once("data", () => resolve()));
    await open();
    await first.closed;
  });
});
