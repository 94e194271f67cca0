import type { ServerResponse } from "node:http";
import { type Address, BuiltinTypeNames, checkAddress, parseTypeName, StringCodec, type TypedValue } from "@statefun-ts/protocol";
import type { FastifyReply } from "fastify";
import { sendWithContentType } from "./app.js";
import { HttpError } from "./errors.js";

const VND_PREFIX = "application/vnd.";

/**
 * The message typename of a request: `Content-Type: application/vnd.{typename}` (parameters
 * such as `; charset=utf-8` ignored), else `undefined` (a plain string message).
 */
export function typenameFromContentType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  // Clients send the same few types over and over: the last one checked is answered from memory.
  if (contentType === lastContentType) return lastTypename;
  const typename = parseContentType(contentType);
  lastContentType = contentType;
  lastTypename = typename;
  return typename;
}

let lastContentType: string | undefined;
let lastTypename: string | undefined;

function parseContentType(contentType: string): string | undefined {
  const mediaType = (contentType.split(";", 1)[0] ?? "").trim();
  if (mediaType.slice(0, VND_PREFIX.length).toLowerCase() !== VND_PREFIX) return undefined;
  const typename = mediaType.slice(VND_PREFIX.length);
  try {
    parseTypeName(typename);
  } catch {
    throw new HttpError(
      400,
      "STATEFUN_BAD_TYPENAME",
      `invalid message type ${JSON.stringify(typename)} in Content-Type ${JSON.stringify(contentType)}: expected application/vnd.{namespace}/{name}`,
    );
  }
  return typename;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The message a request body stands for: typed bytes, or UTF-8 text wrapped as StateFun's string type. */
export function requestArgument(contentType: string | undefined, body: Uint8Array): TypedValue {
  const typename = typenameFromContentType(contentType);
  if (typename !== undefined) return { typename, value: body };
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HttpError(
      400,
      "STATEFUN_BAD_MESSAGE",
      "the body is not UTF-8 text: send Content-Type application/vnd.{namespace}/{name} for binary messages",
    );
  }
  return { typename: BuiltinTypeNames.string, value: StringCodec.encode(text) };
}

/** How a typed value goes out over HTTP: strings as `text/plain`, everything else as raw bytes under `application/vnd.{typename}`. */
export function typedPayload(value: TypedValue): { contentType: string; body: string | Buffer } {
  if (value.typename === BuiltinTypeNames.string) {
    return { contentType: "text/plain; charset=utf-8", body: StringCodec.decode(value.value) };
  }
  const body = Buffer.from(value.value.buffer, value.value.byteOffset, value.value.byteLength);
  return { contentType: `${VND_PREFIX}${value.typename}`, body };
}

export function sendTypedValue(reply: FastifyReply, value: TypedValue, status = 200): FastifyReply {
  const { contentType, body } = typedPayload(value);
  return sendWithContentType(reply.code(status), contentType, body);
}

/**
 * Answers 200 with a typed value and `headers` straight on the Node response, past Fastify's
 * send and its `onSend` hooks (the hook of `baseApp` that restores a StateFun content type, which
 * this writes itself): the way every `?await` reply goes out, so it is kept short. Same status,
 * headers and body as `sendTypedValue`.
 */
export function sendTypedValueDirect(reply: FastifyReply, value: TypedValue, headers: Record<string, string>): FastifyReply {
  reply.hijack();
  writeTypedValue(reply.raw, value, headers);
  return reply;
}

/**
 * Answers 200 with a typed value and `headers` on a Node response (see `sendTypedValueDirect`).
 * A small binary body goes out as a latin1 string (the same bytes): Node then sends it in one
 * write with the header, where a `Buffer` body costs a second buffered chunk and a `writev`.
 */
export function writeTypedValue(res: ServerResponse, value: TypedValue, headers: Record<string, string>): void {
  const { contentType, body } = typedPayload(value);
  headers["content-type"] = contentType;
  headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body) : body.byteLength);
  res.writeHead(200, headers);
  if (typeof body === "string") res.end(body);
  else if (body.byteLength <= ONE_WRITE_BYTES) res.end(body.toString("latin1"), "latin1");
  else res.end(body);
}

/** Bodies up to this size go out in one write with their header (see `writeTypedValue`); larger ones are not copied into a string. */
const ONE_WRITE_BYTES = 4096;

/**
 * Parses `/{namespace}/{type}/{id}` from the raw URL path after `prefix` (query string
 * excluded): exactly three segments, each URL-decoded, so an id may contain an encoded `/`.
 */
export function addressFromPath(rawPath: string, prefix = ""): Address {
  const path = rawPath.split("?", 1)[0] ?? "";
  const rest = path.slice(prefix.length);
  const segments = rest.startsWith("/") ? rest.slice(1).split("/") : [];
  if (segments.length !== 3) {
    throw new HttpError(404, "STATEFUN_NOT_FOUND", `no route for ${JSON.stringify(path)}: expected ${prefix}/{namespace}/{type}/{id}`);
  }
  let decoded: string[];
  try {
    decoded = path.includes("%") ? segments.map((s) => decodeURIComponent(s)) : segments;
  } catch {
    throw new HttpError(400, "STATEFUN_BAD_ADDRESS", `invalid URL encoding in path ${JSON.stringify(path)}`);
  }
  const [namespace = "", type = "", id = ""] = decoded;
  if (namespace === "" || type === "" || id === "") {
    throw new HttpError(400, "STATEFUN_BAD_ADDRESS", `path ${JSON.stringify(path)} has an empty namespace, type or id`);
  }
  const address = { namespace, type, id };
  try {
    return checkAddress(address, "path");
  } catch {
    return refusedAddress(address, path);
  }
}

/** `checkAddress` again, for an address it refused, to answer with the path written out (not worth writing for every request). */
function refusedAddress(address: Address, path: string): never {
  try {
    checkAddress(address, `path ${JSON.stringify(path)}`);
  } catch (error) {
    throw new HttpError(400, "STATEFUN_BAD_ADDRESS", (error as Error).message);
  }
  throw new Error(`checkAddress refused ${JSON.stringify(address)} only once`);
}
