import { readFile } from "node:fs/promises";
import type { Address } from "@statefun-ts/protocol";
import { ADMIN_TOKEN_ENV } from "../http/auth.js";
import { jsonTypedValue } from "../http/decode.js";
import type { AdminArgs, CallArgs, MessageArgs, StateArgs } from "./program.js";

/** A failure of a command, reported as `statefun: <message>` with an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Where the client commands write. */
export interface CliOutput {
  stdout(data: string | Uint8Array): void;
  readStdin(): Promise<Uint8Array>;
}

export const processOutput: CliOutput = {
  stdout: (data) => {
    process.stdout.write(data);
  },
  async readStdin() {
    if (process.stdin.isTTY) return new Uint8Array(0);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
};

export function addressPath(a: Address): string {
  return `/${encodeURIComponent(a.namespace)}/${encodeURIComponent(a.type)}/${encodeURIComponent(a.id)}`;
}

/** `statefun send`: prints the request id. */
export async function sendCommand(args: MessageArgs, out: CliOutput = processOutput): Promise<void> {
  const response = await post(args, "", out);
  const { requestId } = (await response.json()) as { requestId?: string };
  out.stdout(`${requestId ?? ""}\n`);
}

/** `statefun call`: prints the reply (text as is, built-in types decoded, JSON as sent, other types as typename and base64). */
export async function callCommand(args: CallArgs, out: CliOutput = processOutput): Promise<void> {
  const response = await post(args, `?await=${encodeURIComponent(args.timeout)}`, out);
  if (response.status !== 200) {
    const requestId = response.headers.get("statefun-request-id") ?? "";
    throw new CliError(`no reply (HTTP ${response.status}, request id ${requestId})`);
  }
  const contentType = response.headers.get("content-type") ?? "";
  if (contentType.startsWith("text/plain")) out.stdout(`${await response.text()}\n`);
  else out.stdout(`${replyText(contentType, new Uint8Array(await response.arrayBuffer()))}\n`);
}

/**
 * A reply as text: built-in types decoded (`5`, `true`), JSON as sent, anything else (protobuf,
 * custom bytes) as its type name and base64.
 */
function replyText(contentType: string, bytes: Uint8Array): string {
  const typename = contentType.startsWith("application/vnd.")
    ? contentType.slice("application/vnd.".length).split(";", 1)[0]!
    : contentType;
  const base64 = `${typename} base64:${Buffer.from(bytes).toString("base64")}`;
  if (typename.startsWith("io.statefun.types/")) {
    const shown = jsonTypedValue({ typename, value: bytes });
    if (shown.encoding === "base64") return base64;
    return typeof shown.value === "string" ? shown.value : JSON.stringify(shown.value);
  }
  if (typename.startsWith("type.googleapis.com/")) return base64;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    JSON.parse(text);
    return text;
  } catch {
    return base64;
  }
}

/** `statefun state`: prints the instance's state as JSON. */
export async function stateCommand(args: StateArgs, out: CliOutput = processOutput): Promise<void> {
  const url = `${args.admin}/v1/state${addressPath(args.address)}`;
  const token = process.env[ADMIN_TOKEN_ENV];
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const response = await request(url, { method: "GET", headers }, "admin API");
  await failUnlessOk(response);
  out.stdout(`${JSON.stringify(await response.json(), null, 2)}\n`);
}

/** `statefun functions …` and `statefun modules …`: one admin API request; prints JSON answers indented, other text as is. */
export async function adminCommand(args: AdminArgs, out: CliOutput = processOutput): Promise<void> {
  const headers: Record<string, string> = {};
  const token = process.env[ADMIN_TOKEN_ENV];
  if (token !== undefined && token !== "") headers.authorization = `Bearer ${token}`;
  let body: Uint8Array | undefined;
  if (args.body !== undefined) {
    if ("text" in args.body) body = new TextEncoder().encode(args.body.text);
    else if (args.body.file === "-") body = await out.readStdin();
    else {
      try {
        body = await readFile(args.body.file);
      } catch (error) {
        throw new CliError(`cannot read ${args.body.file}: ${(error as Error).message}`);
      }
    }
    headers["content-type"] = args.contentType ?? "application/octet-stream";
  }
  const response = await request(`${args.admin}${args.path}`, { method: args.method, headers, body }, "admin API");
  await failUnlessOk(response);
  const text = await response.text();
  if ((response.headers.get("content-type") ?? "").includes("json")) out.stdout(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
  else out.stdout(text.endsWith("\n") ? text : `${text}\n`);
}

async function post(args: MessageArgs, query: string, out: CliOutput): Promise<Response> {
  const body = args.body !== undefined ? new TextEncoder().encode(args.body) : await out.readStdin();
  const headers: Record<string, string> = {
    "content-type": args.type !== undefined ? `application/vnd.${args.type}` : "text/plain; charset=utf-8",
  };
  if (args.idempotencyKey !== undefined) headers["idempotency-key"] = args.idempotencyKey;
  const response = await request(`${args.ingress}${addressPath(args.address)}${query}`, { method: "PUT", headers, body }, "ingress");
  await failUnlessOk(response);
  return response;
}

async function request(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new CliError(`cannot reach the ${what} at ${new URL(url).origin}: ${cause}`);
  }
}

async function failUnlessOk(response: Response): Promise<void> {
  if (response.ok) return;
  const text = await response.text();
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: string; code?: string };
    if (body.error !== undefined) message = body.code !== undefined ? `${body.error} [${body.code}]` : body.error;
  } catch {
    // not JSON: print the text as is
  }
  throw new CliError(`HTTP ${response.status}: ${message}`);
}
