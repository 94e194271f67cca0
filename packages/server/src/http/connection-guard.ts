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
 * Nothing is done per request (the ingress's hot path): whether a connection waits for an answer
 * is read only when one must be evicted, from the response Node is writing on it.
 *
 * @example
 * guardConnections(app.server, 128);
 */
export function guardConnections(server: Server, max: number): void {
  /** Open connections, oldest first. */
  const open = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    if (open.size <= max) return;
    for (const other of open) {
      if (other === socket) break;
      if (!waitsForAnswer(other)) {
        open.delete(other);
        other.destroy();
        return;
      }
    }
    open.delete(socket);
    socket.destroy();
  });
}

/**
 * True when a whole request came on `socket` and its answer is not written yet: Node keeps the
 * response in progress on its socket (`_httpMessage`, set from the `request` event until the
 * response ends), and the request is `complete` once its body is read.
 */
function waitsForAnswer(socket: Socket): boolean {
  const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (response === undefined || response === null) return false;
  const request: IncomingMessage | undefined = response.req;
  return request?.complete === true && !response.writableFinished;
}
