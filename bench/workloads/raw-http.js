// A lean HTTP/1.1 client for the request-reply load generator: keep-alive sockets, one request
// in flight per socket (no pipelining), each request written as one buffer, and only what the
// checker reads parsed from the reply (status, Content-Type, a Content-Length body).
//
// `http.request` with a keep-alive agent cost the load generator about 45 µs of CPU per request,
// as much as half the worker's: on a 2-core machine that was CPU the worker could not have.
// This client costs a fraction of it, so the figure says more about the worker. It is the same
// workload (same requests, same checks); bench/workloads/request-reply.js `--client http` still
// runs the old client.
import net from "node:net";

const HEADER_END = Buffer.from("\r\n\r\n");

/** A pool of at most `maxSockets` keep-alive connections to `host:port`; requests beyond them wait in order. */
export class RawHttpPool {
  constructor({ host, port, maxSockets, timeoutMs }) {
    this.host = host;
    this.port = port;
    this.maxSockets = maxSockets;
    this.timeoutMs = timeoutMs;
    this.idle = [];
    this.open = new Set();
    this.queue = [];
    this.queueHead = 0;
  }

  /** Sends `request` (one buffer: head and body); resolves `{status, contentType, body}` or `{error}`. */
  send(request) {
    return new Promise((done) => {
      const conn = this.idle.pop() ?? (this.open.size < this.maxSockets ? this.connect() : undefined);
      if (conn === undefined) this.queue.push({ request, done });
      else conn.start(request, done);
    });
  }

  connect() {
    const conn = new Connection(this);
    this.open.add(conn);
    return conn;
  }

  /** A connection finished its request: it takes the next waiting one, or goes idle. */
  free(conn) {
    if (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead];
      this.queue[this.queueHead++] = undefined;
      if (this.queueHead === this.queue.length) {
        this.queue = [];
        this.queueHead = 0;
      }
      conn.start(next.request, next.done);
    } else {
      this.idle.push(conn);
    }
  }

  /** A connection closed: it leaves the pool (a waiting request gets a new one). */
  closed(conn) {
    this.open.delete(conn);
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.queueHead < this.queue.length && this.open.size < this.maxSockets) this.free(this.connect());
  }

  destroy() {
    for (const conn of this.open) conn.socket.destroy();
    this.open.clear();
    this.idle = [];
  }
}

class Connection {
  constructor(pool) {
    this.pool = pool;
    this.done = undefined;
    this.buffer = undefined;
    this.socket = net.connect({ host: pool.host, port: pool.port, noDelay: true });
    this.socket.setTimeout(pool.timeoutMs);
    this.socket.on("data", (chunk) => this.data(chunk));
    this.socket.on("timeout", () => {
      if (this.done !== undefined) this.socket.destroy(Object.assign(new Error("timeout"), { code: "client timeout" }));
    });
    this.socket.on("error", (err) => this.fail(err.code ?? err.message));
    this.socket.on("close", () => {
      this.fail("ECONNRESET");
      this.pool.closed(this);
    });
  }

  start(request, done) {
    this.done = done;
    this.buffer = undefined;
    this.socket.write(request);
  }

  fail(error) {
    const done = this.done;
    this.done = undefined;
    done?.({ error });
  }

  data(chunk) {
    const buffer = this.buffer === undefined ? chunk : Buffer.concat([this.buffer, chunk]);
    const end = buffer.indexOf(HEADER_END);
    if (end < 0) {
      this.buffer = buffer;
      return;
    }
    const head = buffer.latin1Slice(0, end);
    const lengthMatch = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (lengthMatch === null) {
      this.fail("reply without Content-Length");
      this.socket.destroy();
      return;
    }
    const bodyStart = end + HEADER_END.length;
    const length = Number(lengthMatch[1]);
    if (buffer.length < bodyStart + length) {
      this.buffer = buffer;
      return;
    }
    this.buffer = undefined;
    const done = this.done;
    this.done = undefined;
    const close = /\r\nconnection: *close/i.test(head);
    if (!close) this.pool.free(this);
    else this.socket.end();
    done?.({
      status: Number(head.slice(9, 12)),
      contentType: /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1],
      body: new Uint8Array(buffer.buffer, buffer.byteOffset + bodyStart, length),
    });
  }
}
