import type { Address } from "@statefun-ts/protocol";
import { parseTypeName, toMillis } from "@statefun-ts/protocol";
import { InvalidArgumentError } from "commander";

/** Where `statefun run` keeps its data. */
export type StoreTarget = { readonly kind: "sqlite"; readonly dir: string };

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

/** `sqlite:DIR` or a directory path; `postgres://…` is cluster mode, not in this build. */
export function parseStore(text: string): StoreTarget {
  if (/^postgres(ql)?:\/\//i.test(text)) {
    throw new InvalidArgumentError("cluster mode is not available in this build (PostgreSQL store); use sqlite:DIR or a directory.");
  }
  const dir = text.startsWith("sqlite:") ? text.slice("sqlite:".length).replace(/^\/\/(?=\/|\.)/, "") : text;
  if (dir === "") throw new InvalidArgumentError("expected sqlite:DIR or a directory.");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dir)) throw new InvalidArgumentError("unsupported store URL; use sqlite:DIR or a directory.");
  return { kind: "sqlite", dir };
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
