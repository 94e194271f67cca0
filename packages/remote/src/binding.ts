import { type FromFunctionFields, StatefunError } from "@statefun-ts/protocol";
import { type Binding, type InvokeRequest, type Logger, type MetricsSink, type RemoteStateSpecs, silentLogger } from "@statefun-ts/runtime";
import type { Effects } from "@statefun-ts/sdk/internal";
import type { Abort } from "./abort.js";
import type { HttpResponse } from "./http-client.js";
import { HttpClient } from "./http-client.js";
import { encodeRequest } from "./request.js";
import { emptyResponse, parseResponse, responseOutcome } from "./response.js";
import { withRetries } from "./retry.js";
import { endpointOptions, type HttpEndpointSpec } from "./spec.js";
import { type Endpoint, resolveEndpoint } from "./url.js";

/**
 * A binding to a remote endpoint. `close()` waits for its calls in flight (a binding replaced
 * under load), then closes its connections; `close({ abort: true })` (a worker stopping) stops
 * them instead: a request under way is aborted and a call retrying ends, failing with
 * `STATEFUN_CLOSED`, not terminal, so nothing of them is committed and they run again later.
 */
export type RemoteBinding = Binding & { close(options?: { readonly abort?: boolean }): Promise<void> };

/** Where the binding keeps the states functions register (the runtime's `stateSpecs`). */
export interface RemoteBindingDeps {
  readonly specs: Pick<RemoteStateSpecs, "get" | "register">;
  readonly logger?: Logger | undefined;
  /** Where each HTTP request (every attempt) is counted and timed, by function type, and each failed attempt that is retried (`invocation_failures`). */
  readonly metrics?: MetricsSink | undefined;
}

/** Rounds of `incomplete_invocation_context` answered for one batch before giving up. */
export const MAX_HANDSHAKE_ROUNDS = 3;

/**
 * Binds a function type (or a namespace, `ns/*`) to an endpoint speaking StateFun's remote
 * protocol: one POST per batch of an address's messages, states registered on the function's
 * demand, transport failures retried with backoff within `timeouts.callMs`, after which the
 * batch fails terminally (the dispatcher dead-letters it and the address moves on).
 *
 * @example
 * const binding = remoteBinding({ functions: "example/*", urlPathTemplate: "http://127.0.0.1:8000/statefun" }, { specs: runtime.stateSpecs });
 * runtime.bind(binding);
 * // on shutdown, after runtime.stop():
 * await binding.close();
 */
export function remoteBinding(spec: HttpEndpointSpec, deps: RemoteBindingDeps): RemoteBinding {
  const o = endpointOptions(spec);
  const client = new HttpClient(o);
  const logger = deps.logger ?? silentLogger;
  const endpoints = new Map<string, Endpoint>();
  const running = new Set<Promise<Effects>>();
  let closed = false;
  /** Set by `close({ abort: true })`: ends every call in flight at once instead of letting it retry for its whole budget. */
  let aborting = false;
  /** The attempts under way, which `close({ abort: true })` aborts. */
  const attempts = new Set<Abort>();
  const closedError = () => new StatefunError("STATEFUN_CLOSED", `the binding of ${spec.functions} is closed`, { terminal: false });
  const settled = (abort: Abort) => attempts.delete(abort);
  /** One attempt, stopped by `close({ abort: true })`. */
  const post = (target: Endpoint, body: Uint8Array, abort: Abort): Promise<HttpResponse> => {
    if (aborting) return Promise.reject(closedError());
    attempts.add(abort);
    return client.post(target, body, abort).then(
      (response) => {
        settled(abort);
        return response;
      },
      (error: unknown) => {
        settled(abort);
        throw aborting ? closedError() : error;
      },
    );
  };

  async function run(request: InvokeRequest): Promise<Effects> {
    const functionType = request.functionType;
    let endpoint = endpoints.get(functionType);
    if (endpoint === undefined) {
      endpoint = resolveEndpoint(o.urlPathTemplate, functionType);
      endpoints.set(functionType, endpoint);
    }
    const target = endpoint;
    const where = `${functionType} at ${target.url}`;
    for (let round = 1; ; round++) {
      const specs = deps.specs.get(functionType);
      const body = encodeRequest(request, specs);
      let decoded: FromFunctionFields | undefined;
      await withRetries(
        where,
        o.callMs,
        (abort) => timed(deps.metrics, functionType, () => post(target, body, abort)),
        (attempt, failure) => {
          // Backing off, the call holds no connection: another address may take its slot.
          if (attempt === 1) request.releaseSlot?.();
          deps.metrics?.count("invocation_failures", 1, functionType);
          // As StateFun warns of a failed attempt: a function server down or a function throwing
          // shows at once, not only when the budget is spent. Its retries say so at debug.
          const log = attempt === 1 ? logger.warn : logger.debug;
          log.call(
            logger,
            { function: functionType, address: request.address, url: target.url, attempt, failure },
            "remote call failed, retrying",
          );
        },
        (response) => {
          decoded = parseResponse(response.body, response.contentType, where);
          return emptyResponse(decoded, response.body);
        },
      );
      const outcome = responseOutcome(decoded!, functionType, specs, where, request.address);
      if (outcome.kind === "effects") return outcome.effects;
      const names = outcome.specs.map((s) => `${s.name}: ${s.typename}`).join(", ");
      if (round >= MAX_HANDSHAKE_ROUNDS) {
        throw new StatefunError("STATEFUN_FUNCTION_FAILED", `${where}: still asks for states ${names} after ${round} registrations`);
      }
      try {
        await deps.specs.register(functionType, outcome.specs);
      } catch (error) {
        if (!StatefunError.is(error)) throw error;
        throw new StatefunError(error.code, `${where}: ${error.message}`, { cause: error, terminal: true });
      }
      logger.info({ function: functionType, url: target.url, states: names }, "remote function registered states");
    }
  }

  return {
    typename: spec.functions,
    accepts: undefined,
    specs: (functionType) => deps.specs.get(functionType),
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
    instanceTtlMs: o.instanceTtlMs,
    invoker: {
      maxBatch: o.maxBatch,
      // No more requests at once than connections (poolSize per origin it calls): the addresses
      // past it wait in the runtime and batch what arrives meanwhile, instead of queueing small
      // batches for a connection.
      get maxInFlight() {
        return o.poolSize * Math.max(1, client.origins);
      },
      invoke(request) {
        if (closed) throw closedError();
        const pending = run(request);
        running.add(pending);
        const forget = () => running.delete(pending);
        pending.then(forget, forget);
        return pending;
      },
    },
    async close(options = {}) {
      closed = true;
      if (options.abort === true) {
        aborting = true;
        for (const abort of attempts) abort.abort(closedError());
      }
      await Promise.allSettled([...running]);
      await client.close();
    },
  };
}

/** One request attempt, counted and timed (`remote_requests`, `remote_request_failures`, `remote_request_seconds`). */
async function timed(metrics: MetricsSink | undefined, functionType: string, post: () => Promise<HttpResponse>): Promise<HttpResponse> {
  if (metrics === undefined) return post();
  const started = performance.now();
  let ok = false;
  try {
    const response = await post();
    ok = response.status >= 200 && response.status < 300;
    return response;
  } finally {
    metrics.observe("remote_request_seconds", (performance.now() - started) / 1000, functionType);
    metrics.count("remote_requests", 1, functionType);
    if (!ok) metrics.count("remote_request_failures", 1, functionType);
  }
}
