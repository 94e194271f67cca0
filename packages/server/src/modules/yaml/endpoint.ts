import { z } from "zod";
import { duration, functionTypes, positiveInt, strict, urlTemplate } from "./fields.js";
import { type PemRef, pemRef } from "./files.js";
import type { HttpEndpointSpec } from "./types.js";

export const ASYNC_TRANSPORT = "io.statefun.transports.v1/async";
export const OKHTTP_TRANSPORT = "io.statefun.transports.v1/okhttp";

/** An endpoint as validated, with its TLS material still to read (`field` is the path for messages). */
export interface EndpointDraft {
  readonly spec: Omit<HttpEndpointSpec, "tls">;
  readonly tls: readonly { readonly name: "ca" | "cert" | "key"; readonly field: string; readonly ref: PemRef }[];
  /** The file holding the password of an encrypted client key. */
  readonly keyPassword?: { readonly field: string; readonly ref: PemRef };
}

/** `timeouts` of an endpoint: `call`, `connect`, `read`, `write` durations. */
export const timeouts = strict({
  call: duration().optional(),
  connect: duration().optional(),
  read: duration().optional(),
  write: duration().optional(),
});

/**
 * `spec.transport` of `io.statefun.endpoints.v2/http`: StateFun's async transport fields, and
 * the `timeouts` of its default (OkHttp) transport. Both types run on the same client here.
 */
const transport = strict({
  type: z.enum([ASYNC_TRANSPORT, OKHTTP_TRANSPORT]).optional(),
  timeouts: timeouts.optional(),
  call: duration().optional(),
  connect: duration().optional(),
  read: duration().optional(),
  write: duration().optional(),
  pool_ttl: duration({ allowZero: true }).optional(),
  pool_size: positiveInt.optional(),
  payload_max_bytes: positiveInt.optional(),
  trust_cacerts: pemRef.optional(),
  client_cert: pemRef.optional(),
  client_key: pemRef.optional(),
  /** As in StateFun: the location of a file holding the password of an encrypted `client_key`. */
  client_key_password: pemRef.optional(),
}).superRefine((t, ctx) => {
  if ((t.client_cert === undefined) !== (t.client_key === undefined)) {
    const missing = t.client_cert === undefined ? "client_cert" : "client_key";
    ctx.addIssue({ code: "custom", path: [missing], message: "required for mutual TLS: client_cert and client_key go together" });
  }
  if (t.client_key_password !== undefined && t.client_key === undefined) {
    ctx.addIssue({ code: "custom", path: ["client_key_password"], message: "the password of client_key: give client_key too" });
  }
});

/** `instanceTtl` is our extension: instances not invoked for that long are dropped whole. */
const common = {
  functions: functionTypes,
  urlPathTemplate: urlTemplate,
  maxNumBatchRequests: positiveInt.optional(),
  instanceTtl: duration().optional(),
};

/** `spec` of `io.statefun.endpoints.v2/http`. */
export const endpointV2 = strict({ ...common, transport: transport.optional() }).transform((s): EndpointDraft => {
  const t = s.transport;
  const tls: EndpointDraft["tls"][number][] = [];
  if (t?.trust_cacerts) tls.push({ name: "ca", field: "spec.transport.trust_cacerts", ref: t.trust_cacerts });
  if (t?.client_cert) tls.push({ name: "cert", field: "spec.transport.client_cert", ref: t.client_cert });
  if (t?.client_key) tls.push({ name: "key", field: "spec.transport.client_key", ref: t.client_key });
  const spec = compact({
    functions: s.functions,
    urlPathTemplate: s.urlPathTemplate,
    maxNumBatchRequests: s.maxNumBatchRequests,
    instanceTtlMs: s.instanceTtl,
    timeouts: timeoutsMs({
      call: t?.timeouts?.call ?? t?.call,
      connect: t?.timeouts?.connect ?? t?.connect,
      read: t?.timeouts?.read ?? t?.read,
      write: t?.timeouts?.write ?? t?.write,
    }),
    poolSize: t?.pool_size,
    payloadMaxBytes: t?.payload_max_bytes,
  });
  const keyPassword = t?.client_key_password;
  return keyPassword === undefined
    ? { spec, tls }
    : { spec, tls, keyPassword: { field: "spec.transport.client_key_password", ref: keyPassword } };
});

/** `spec` of `io.statefun.endpoints.v1/http` (and of endpoints in the version 3.0 layout). */
export const endpointV1 = strict({ ...common, timeouts: timeouts.optional() }).transform(
  (s): EndpointDraft => ({
    spec: compact({
      functions: s.functions,
      urlPathTemplate: s.urlPathTemplate,
      maxNumBatchRequests: s.maxNumBatchRequests,
      instanceTtlMs: s.instanceTtl,
      timeouts: timeoutsMs(s.timeouts ?? {}),
    }),
    tls: [],
  }),
);

/** Timeouts in the spec's shape (`callMs`...), or undefined when none is set. */
export function timeoutsMs(t: { call?: number; connect?: number; read?: number; write?: number }): HttpEndpointSpec["timeouts"] {
  const ms = compact({ callMs: t.call, connectMs: t.connect, readMs: t.read, writeMs: t.write });
  return Object.keys(ms).length === 0 ? undefined : ms;
}

/** Drops `undefined` fields, so specs compare and print cleanly. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
