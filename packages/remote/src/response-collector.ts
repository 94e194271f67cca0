import { StatefunError } from "@statefun-ts/protocol";
import type { Dispatcher } from "undici";
import type { Abort } from "./abort.js";
import type { HttpResponse } from "./http-client.js";

/** How much of an error (non-2xx) body is kept: enough for the reason in a dead letter. */
export const ERROR_BODY_BYTES = 4096;

type Cancel = (reason: Error) => void;

/**
 * Gathers one response for `HttpClient.post` as an undici dispatch handler: the status, the
 * content type and the body's chunks, refusing a 2xx body past `payloadMaxBytes` (declared or
 * received) and cutting an error body at `ERROR_BODY_BYTES`. Settles its promise once: with the
 * response when it completes, or with the first transport error or abort reason; an abort
 * before a connection is assigned settles at once and cancels the request when it is sent.
 */
export class ResponseCollector implements Dispatcher.DispatchHandler {
  private status = 0;
  private contentType: string | undefined = undefined;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private limit = 0;
  private settled = false;
  private cancel: Cancel | undefined = undefined;

  constructor(
    private readonly payloadMaxBytes: number,
    private readonly abort: Abort,
    private readonly resolve: (response: HttpResponse) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    abort.onAbort((reason) => this.stop(asError(reason)));
  }

  onConnect(cancel: Cancel): void {
    if (this.settled) cancel(asError(this.abort.reason));
    else this.cancel = cancel;
  }

  onHeaders(status: number, rawHeaders: Buffer[], _resume: () => void, _statusText: string): boolean {
    if (status < 200) return true;
    this.status = status;
    let declared = Number.NaN;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.length === 12 && name.toString("latin1").toLowerCase() === "content-type") {
        this.contentType ??= rawHeaders[i + 1]!.toString("latin1");
      } else if (name.length === 14 && name.toString("latin1").toLowerCase() === "content-length") {
        declared = Number(rawHeaders[i + 1]!.toString("latin1"));
      }
    }
    const ok = status >= 200 && status < 300;
    this.limit = ok ? this.payloadMaxBytes : ERROR_BODY_BYTES;
    if (ok && declared > this.limit) {
      this.stop(oversized(this.limit, `: Content-Length is ${declared}`));
      return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    const room = this.limit - this.size;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      return true;
    }
    if (this.status >= 200 && this.status < 300) {
      this.stop(oversized(this.limit, ""));
      return false;
    }
    this.chunks.push(chunk.subarray(0, room));
    this.size += room;
    this.done();
    this.cancel?.(new Error("error body cut"));
    return false;
  }

  onComplete(_trailers: unknown): void {
    this.done();
  }

  onError(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.abort.clear();
    this.reject(error);
  }

  private done(): void {
    if (this.settled) return;
    this.settled = true;
    this.abort.clear();
    const chunks = this.chunks;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size);
    this.resolve({ status: this.status, contentType: this.contentType, body });
  }

  /** Fails with `error` and cancels the request if it was sent. */
  private stop(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.abort.clear();
    this.reject(error);
    this.cancel?.(error);
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason ?? "aborted"));
}

function oversized(limit: number, detail: string): StatefunError {
  return new StatefunError("STATEFUN_FUNCTION_FAILED", `the response body exceeds payloadMaxBytes (${limit} bytes)${detail}`);
}
