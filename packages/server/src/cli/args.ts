import type { Address } from "@statefun-ts/protocol";
import { parseTypeName, toMillis } from "@statefun-ts/protocol";
import { InvalidArgumentError } from "commander";

/** Where `statefun run` keeps its data: an embedded SQLite directory, or a PostgreSQL database shared by a cluster. */
export type StoreTarget = { readonly kind: "sqlite"; readonly dir: string } | { readonly kind: "postgres"; readonly url: string };

/** A TCP port, 0–65535. */
export function parsePort(text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) throw new InvalidArgumentError("expected a port number from 0 to 65535.");
  return port;
}

/** A port offset: a non-negative integer. */
export function parseOffset(text: string): number {
  const offset = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(offset) || offset > 65535) throw new InvalidArgumentError("expected a whole number from 0 to 65535.");
  return offset;
}

/** `sqlite:DIR`, a directory path, or `postgres://user@host:port/db[?schema=name]` (cluster mode). */
export function parseStore(text: string): StoreTarget {
  if (/^postgres(ql)?:\/\//i.test(text)) return { kind: "postgres", url: parsePostgresUrl(text) };
  const dir = text.startsWith("sqlite:") ? text.slice("sqlite:".length).replace(/^\/\/(?=\/|\.)/, "") : text;
  if (dir === "") throw new InvalidArgumentError("expected sqlite:DIR, a directory or postgres://user@host:port/db.");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dir)) {
    throw new InvalidArgumentError("unsupported store URL; use sqlite:DIR, a directory or postgres://user@host:port/db.");
  }
  return { kind: "sqlite", dir };
}

/** A PostgreSQL URL with a host and a database; `schema`, if given, a plain identifier. */
function parsePostgresUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError("expected a PostgreSQL URL such as postgres://user@127.0.0.1:5432/statefun (it does not parse).");
  }
  if (url.hostname === "") throw new InvalidArgumentError("the PostgreSQL URL names no host: expected postgres://user@host:port/db.");
  if (url.pathname.replace(/^\//, "") === "") {
    throw new InvalidArgumentError("the PostgreSQL URL names no database: expected postgres://user@host:port/db.");
  }
  const schema = url.searchParams.get("schema");
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new InvalidArgumentError(`schema=${JSON.stringify(schema)} is not a plain identifier (lower-case letters, digits, _).`);
  }
  return text;
}

/** A worker name in leases: letters, digits and `._:-`, 1–100 characters. */
export function parseWorkerName(text: string): string {
  if (!/^[A-Za-z0-9._:-]{1,100}$/.test(text)) {
    throw new InvalidArgumentError("expected 1 to 100 letters, digits, '.', '_', ':' or '-'.");
  }
  return text;
}

/** A positive duration in milliseconds, e.g. `1s`, `500ms`. */
export function parseMillis(text: string): number {
  let ms: number;
  try {
    ms = toMillis(text);
  } catch {
    throw new InvalidArgumentError("expected a duration such as 500ms, 1s or 3s.");
  }
  if (!(ms > 0)) throw new InvalidArgumentError("expected a duration longer than 0.");
  return ms;
}

/** `namespace/type/id`; the id is everything after the second `/` and may itself contain `/`. */
export function parseAddress(text: string): Address {
  const first = text.indexOf("/");
  const second = first < 0 ? -1 : text.indexOf("/", first + 1);
  const namespace = text.slice(0, Math.max(first, 0));
  const type = first < 0 ? "" : text.slice(first + 1, second < 0 ? undefined : second);
  const id = second < 0 ? "" : text.slice(second + 1);
  if (namespace === "" || type === "" || id === "") {
    throw new InvalidArgumentError("expected namespace/type/id, e.g. example/greeter/bob.");
  }
  return { namespace, type, id };
}

/** A message type name `namespace/name`. */
export function parseTypename(text: string): string {
  try {
    parseTypeName(text);
  } catch {
    throw new InvalidArgumentError("expected a type name namespace/name, e.g. example/GreetRequest.");
  }
  return text;
}

/** A duration such as `5s`; kept as text (it goes into `?await=`). */
export function parseDuration(text: string): string {
  try {
    toMillis(text);
  } catch {
    throw new InvalidArgumentError("expected a duration such as 500ms, 5s or 1min.");
  }
  return text;
}

/** An http(s) base URL. */
export function parseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError("expected a URL such as http://127.0.0.1:8090.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new InvalidArgumentError("expected an http:// or https:// URL.");
  return text.replace(/\/+$/, "");
}

/** A whole number of at least 1. */
export function parseCount(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
};

/** A size in bytes: `64MiB`, `1GiB`, `500MB`, or a bare number of bytes. */
export function parseSize(text: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? "?"];
  if (match === null || unit === undefined) throw new InvalidArgumentError("expected a size such as 64MiB, 1GiB or 500MB.");
  return Number(match[1]) * unit;
}
