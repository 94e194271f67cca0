import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/**
 * Bounds a server's open connections at `max` without letting slow clients lock others out.
 * Node's own `server.maxConnections` refuses every new connection once full: 128 clients that
 * send their headers a byte at a time (or never send a request) then shut everyone out of the
 * admin API until they time out, and again as soon as they reconnect. Here a connection past the
 * limit evicts the oldest open connection that has no whole request waiting for its answer (one
 * still sending its headers or body, or idle between requests); only when every connection has one
 * is the new connection closed at once. A client that sends its request promptly is answered.
 *
 * @example
 * guardConnections(app.server, 128);
 */
export function guardConnections(server: Server, max: number): void {
  /** Open connections, oldest first, with the number of whole requests each has waiting for an answer. */
  const open = new Map<Socket, { waiting: number }>();
  server.on("connection", (socket: Socket) => {
    open.set(socket, { waiting: 0 });
    socket.once("close", () => open.delete(socket));
    if (open.size <= max) return;
    for (const [other, state] of open) {
      if (other === socket) break;
      if (state.waiting === 0) {
        open.delete(other);
        other.destroy();
        return;
      }
    }
    open.delete(socket);
    socket.destroy();
  });
  const watch = (request: IncomingMessage, response: ServerResponse) => {
    const state = open.get(request.socket);
    if (state === undefined) return;
    let counted = false;
    const received = () => {
      counted = true;
      state.waiting++;
    };
    if (request.complete) received();
    else request.once("end", received);
    response.once("close", () => {
      request.off("end", received);
      if (counted) state.waiting--;
    });
  };
  (watch as { [GUARD]?: true })[GUARD] = true;
  server.on("request", watch);
}

const GUARD = Symbol("statefun.connectionGuard");

/** True for the `request` listener `guardConnections` adds (not the server's handler). */
export function isConnectionGuard(listener: unknown): boolean {
  return typeof listener === "function" && (listener as { [GUARD]?: true })[GUARD] === true;
}
