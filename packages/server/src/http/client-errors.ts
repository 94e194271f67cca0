import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { ErrorBody } from "./errors.js";
import type { HttpLimits } from "./limits.js";

/**
 * Answers what Node's HTTP parser refuses before any route runs (a request not received in time,
 * headers over the limit, a malformed request) with `{"error", "code"}` like every other error,
 * then closes the connection.
 */
export function clientErrorHandler(limits: HttpLimits) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === "ECONNRESET" || socket.destroyed) return;
    const [status, body] = answerTo(error, limits);
    if (socket.writable) {
      const text = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    }
    socket.destroy();
  };
}

function answerTo(error: Error & { code?: string }, limits: HttpLimits): [number, ErrorBody] {
  switch (error.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [
        408,
        {
          error: `the request was not received in time (headers within ${limits.headersTimeoutMs} ms, the whole request within ${limits.requestTimeoutMs} ms)`,
          code: "STATEFUN_REQUEST_TIMEOUT",
        },
      ];
    case "HPE_HEADER_OVERFLOW":
      return [
        431,
        { error: `the request headers are larger than the limit of ${maxHeaderSize} bytes`, code: "STATEFUN_HEADERS_TOO_LARGE" },
      ];
    default:
      return [400, { error: `malformed HTTP request (${error.code ?? error.message})`, code: "STATEFUN_BAD_REQUEST" }];
  }
}
