import type { CommitBatch, StoreChange, StoredMessage } from "@statefun-ts/runtime/spi";

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; this leaves room. */
const MAX_PAYLOAD = 7900;

/** The channel of a schema's commits (channel names are identifiers: at most 63 bytes). */
export function channelOf(schema: string): string {
  return `statefun_${schema}`.slice(0, 63);
}

const sorted = (values: Iterable<number>) => [...new Set(values)].sort((a, b) => a - b);

/**
 * The payload announcing a commit (JSON `{o, m, t, r}`: origin, key groups with new immediate
 * messages, with new delayed messages, request ids replied to), or undefined when the commit
 * inserts neither messages nor replies. A list that would not fit is left out (meaning "unknown").
 */
export function changePayload(batch: CommitBatch, inserted: readonly StoredMessage[]): string | undefined {
  if (inserted.length === 0 && batch.replies.length === 0) return undefined;
  const parts: [string, unknown][] = [
    ["o", batch.fence.owner],
    ["m", sorted(inserted.filter((m) => m.dueAt === undefined).map((m) => m.keyGroup))],
    ["t", sorted(inserted.filter((m) => m.dueAt !== undefined).map((m) => m.keyGroup))],
    ["r", [...new Set(batch.replies.map((r) => r.requestId))]],
  ];
  const payload: Record<string, unknown> = {};
  let size = 2;
  for (const [key, value] of parts) {
    const part = Buffer.byteLength(JSON.stringify({ [key]: value }));
    if (size + part > MAX_PAYLOAD) continue;
    payload[key] = value;
    size += part;
  }
  return JSON.stringify(payload);
}

const numbers = (value: unknown) => (Array.isArray(value) && value.every((v) => typeof v === "number") ? value : undefined);
const strings = (value: unknown) => (Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined);

/** Reads a payload of `changePayload`; anything else means "check everything" (`{}`). */
export function parseChange(payload: string | undefined): StoreChange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload ?? "");
  } catch {
    return {};
  }
  if (typeof parsed !== "object" || parsed === null) return {};
  const p = parsed as Record<string, unknown>;
  const change: { -readonly [K in keyof StoreChange]: StoreChange[K] } = {};
  if (typeof p.o === "string") change.origin = p.o;
  const m = numbers(p.m);
  if (m !== undefined) change.messages = m;
  const t = numbers(p.t);
  if (t !== undefined) change.timers = t;
  const r = strings(p.r);
  if (r !== undefined) change.replies = r;
  return change;
}
