import type { Address, TypedValue } from "@statefun-ts/protocol";
import { NEXT_ID_OF, type SnapshotRecord, type StoredMessage } from "@statefun-ts/runtime/spi";
import { z } from "zod";

/**
 * The records of an export file as JSON (docs/export-format.md): one object per line, bytes in
 * base64, optional fields left out when absent.
 */

const text = z.string();
const int = z.number().int().safe();
/** Epoch milliseconds within JavaScript's dates (±8.64e15): past them the admin API could not show the row. */
const time = int.min(-8.64e15).max(8.64e15);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "expected base64");
const address = z.strictObject({ namespace: text, type: text, id: text });

const messageFields = {
  seq: int,
  keyGroup: int.nonnegative(),
  target: address,
  caller: address.optional(),
  typename: text,
  value: base64,
  dueAt: time.optional(),
  cancellationToken: text.optional(),
};

// The module catalog's records keep the kinds `registry-version` and `registry` (docs/export-format.md):
// the file format stays as it is, whatever the code calls the catalog.
const recordSchemas = {
  "registry-version": z.strictObject({ kind: z.literal("registry-version"), version: int.nonnegative() }),
  registry: z.strictObject({ kind: z.literal("registry"), entryKind: z.enum(["module", "function"]), name: text, body: text }),
  "state-spec": z.strictObject({
    kind: z.literal("state-spec"),
    functionType: text,
    name: text,
    typename: text,
    expiration: z.union([
      z.strictObject({ mode: z.literal("none") }),
      z.strictObject({ mode: z.enum(["after-write", "after-call"]), millis: int.nonnegative() }),
    ]),
  }),
  parked: z.strictObject({ kind: z.literal("parked"), functionType: text, since: time }),
  state: z.strictObject({
    kind: z.literal("state"),
    namespace: text,
    type: text,
    id: text,
    keyGroup: int.nonnegative(),
    name: text,
    typename: text,
    value: base64,
    expiresAt: time.optional(),
  }),
  message: z.strictObject({ kind: z.literal("message"), ...messageFields }),
  egress: z.strictObject({
    kind: z.literal("egress"),
    id: int.positive(),
    egress: text,
    topic: text,
    typename: text,
    value: base64,
    createdAt: time,
  }),
  "dead-letter": z.strictObject({
    kind: z.literal("dead-letter"),
    id: int.positive(),
    message: z.strictObject(messageFields),
    error: text,
    attempts: int.nonnegative(),
    failedAt: time,
  }),
  reply: z.strictObject({ kind: z.literal("reply"), requestId: text, typename: text, value: base64, createdAt: time }),
  "idempotency-key": z.strictObject({
    kind: z.literal("idempotency-key"),
    key: text,
    requestId: text,
    createdAt: time,
    fingerprint: text.optional(),
  }),
  "source-position": z.strictObject({ kind: z.literal("source-position"), source: text, partition: text, position: int }),
  "next-id": z.strictObject({ kind: z.literal("next-id"), of: z.enum(NEXT_ID_OF), next: int.positive() }),
} as const;

type Kind = keyof typeof recordSchemas;
type MessageJson = z.infer<z.ZodObject<typeof messageFields>>;

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function fromB64(text: string): Uint8Array {
  const buffer = Buffer.from(text, "base64");
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function typed(typename: string, value: string): TypedValue {
  return { typename, value: fromB64(value) };
}

function addressJson(a: Address): { namespace: string; type: string; id: string } {
  return { namespace: a.namespace, type: a.type, id: a.id };
}

function messageJson(m: StoredMessage): MessageJson {
  return {
    seq: m.seq,
    keyGroup: m.keyGroup,
    target: addressJson(m.target),
    ...(m.caller === undefined ? {} : { caller: addressJson(m.caller) }),
    typename: m.argument.typename,
    value: b64(m.argument.value),
    ...(m.dueAt === undefined ? {} : { dueAt: m.dueAt }),
    ...(m.cancellationToken === undefined ? {} : { cancellationToken: m.cancellationToken }),
  };
}

function messageOf(m: MessageJson): StoredMessage {
  return {
    seq: m.seq,
    keyGroup: m.keyGroup,
    target: m.target,
    ...(m.caller === undefined ? {} : { caller: m.caller }),
    argument: typed(m.typename, m.value),
    ...(m.dueAt === undefined ? {} : { dueAt: m.dueAt }),
    ...(m.cancellationToken === undefined ? {} : { cancellationToken: m.cancellationToken }),
  };
}

/** A record as the JSON object of its line (field order fixed, so equal records give equal lines). */
export function recordJson(record: SnapshotRecord): Record<string, unknown> {
  switch (record.kind) {
    case "registry-version":
      return { kind: record.kind, version: record.version };
    case "registry":
      return { kind: record.kind, entryKind: record.entry.kind, name: record.entry.name, body: record.entry.body };
    case "state-spec": {
      const { expiration } = record.spec;
      return {
        kind: record.kind,
        functionType: record.functionType,
        name: record.spec.name,
        typename: record.spec.typename,
        expiration: expiration.mode === "none" ? { mode: "none" } : { mode: expiration.mode, millis: expiration.millis },
      };
    }
    case "parked":
      return { kind: record.kind, functionType: record.functionType, since: record.since };
    case "state":
      return {
        kind: record.kind,
        ...addressJson(record.address),
        keyGroup: record.keyGroup,
        name: record.name,
        typename: record.value.typename,
        value: b64(record.value.value),
        ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
      };
    case "message":
      return { kind: record.kind, ...messageJson(record.message) };
    case "egress": {
      const { row } = record;
      return {
        kind: record.kind,
        id: row.id,
        egress: row.egress,
        topic: row.topic,
        typename: row.argument.typename,
        value: b64(row.argument.value),
        createdAt: row.createdAt,
      };
    }
    case "dead-letter": {
      const { letter } = record;
      return {
        kind: record.kind,
        id: letter.id,
        message: messageJson(letter.message),
        error: letter.error,
        attempts: letter.attempts,
        failedAt: letter.failedAt,
      };
    }
    case "reply":
      return {
        kind: record.kind,
        requestId: record.requestId,
        typename: record.argument.typename,
        value: b64(record.argument.value),
        createdAt: record.createdAt,
      };
    case "idempotency-key":
      return {
        kind: record.kind,
        key: record.key,
        requestId: record.requestId,
        createdAt: record.createdAt,
        ...(record.fingerprint === undefined ? {} : { fingerprint: record.fingerprint }),
      };
    case "source-position":
      return { kind: record.kind, source: record.source, partition: record.partition, position: record.position };
    case "next-id":
      return { kind: record.kind, of: record.of, next: record.next };
  }
}

/** The record of a parsed line, or a message saying what is wrong with it. */
export function parseRecord(json: unknown): SnapshotRecord | string {
  const kind = (json as { kind?: unknown } | null)?.kind;
  if (typeof kind !== "string" || !Object.hasOwn(recordSchemas, kind)) {
    return `unknown record kind ${JSON.stringify(kind)} (expected one of ${Object.keys(recordSchemas).join(", ")}, or end)`;
  }
  const parsed = recordSchemas[kind as Kind].safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length === 0 ? "" : `field ${issue.path.join(".")}: `;
    return `${kind} record: ${where}${issue.message}`;
  }
  const r = parsed.data;
  switch (r.kind) {
    case "registry-version":
      return r;
    case "registry":
      return { kind: r.kind, entry: { kind: r.entryKind, name: r.name, body: r.body } };
    case "state-spec":
      return { kind: r.kind, functionType: r.functionType, spec: { name: r.name, typename: r.typename, expiration: r.expiration } };
    case "parked":
      return r;
    case "state":
      return {
        kind: r.kind,
        address: { namespace: r.namespace, type: r.type, id: r.id },
        keyGroup: r.keyGroup,
        name: r.name,
        value: typed(r.typename, r.value),
        ...(r.expiresAt === undefined ? {} : { expiresAt: r.expiresAt }),
      };
    case "message": {
      const { kind: _, ...fields } = r;
      return { kind: "message", message: messageOf(fields) };
    }
    case "egress":
      return {
        kind: r.kind,
        row: { id: r.id, egress: r.egress, topic: r.topic, argument: typed(r.typename, r.value), createdAt: r.createdAt },
      };
    case "dead-letter":
      return {
        kind: r.kind,
        letter: { id: r.id, message: messageOf(r.message), error: r.error, attempts: r.attempts, failedAt: r.failedAt },
      };
    case "reply":
      return { kind: r.kind, requestId: r.requestId, argument: typed(r.typename, r.value), createdAt: r.createdAt };
    case "idempotency-key":
      return r;
    case "source-position":
      return r;
    case "next-id":
      return r;
  }
}
