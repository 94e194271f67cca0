import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Settles an egress response once: `sent` when a 2xx response was written out in full to the
 * connection and the connection did not fail, `lost` when it closed, was reset or failed
 * first, or when the answer became an error. Node emits `finish` when the last bytes are handed to the operating system, even on a
 * connection the client has already reset; the reset shows on the socket only when the event
 * loop next reads it. So `finish` is followed by two turns of the event loop (a full poll phase
 * in between) before the connection is judged: a reset that arrived by then means `lost`. A
 * client that resets the connection later still loses what it was sent: that is why the
 * claim/acknowledge path exists.
 */
export function settleResponse(request: FastifyRequest, reply: FastifyReply, sent: () => void, lost: () => void): void {
  const socket = request.raw.socket;
  let finished = false;
  let settled = false;
  const settle = (delivered: boolean) => {
    if (settled) return;
    settled = true;
    if (delivered) sent();
    else lost();
  };
  reply.raw.on("finish", () => {
    finished = true;
    const ok = reply.raw.statusCode < 300;
    setImmediate(() => setImmediate(() => settle(ok && socket.errored == null)));
  });
  reply.raw.on("close", () => {
    if (!finished) settle(false);
  });
  if (reply.raw.destroyed || socket.destroyed) settle(false); // the client left while the record was being taken
}

/** Whether the client is gone already (nothing more can be sent). */
export function clientGone(request: FastifyRequest, reply: FastifyReply): boolean {
  return reply.raw.destroyed || request.raw.socket.destroyed;
}
