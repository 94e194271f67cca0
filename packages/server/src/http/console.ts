import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { HttpError } from "./errors.js";

/** Where `npm run build` puts the console's assets (`packages/server/console-dist`). */
export const CONSOLE_DIR = fileURLToPath(new URL("../../console-dist/", import.meta.url));

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/**
 * The operator console: `index.html` at `/` (and at `/signin`, which it shows as the sign-in
 * page), its bundled scripts and styles under `/assets/`. Read once, at start-up, from the
 * package: no external network.
 */
export function consoleRoutes(app: FastifyInstance, dir = CONSOLE_DIR): void {
  let files: Map<string, Buffer>;
  try {
    files = new Map(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
  } catch {
    files = new Map();
  }
  const index = files.get("index.html");
  const page = async (_request: unknown, reply: import("fastify").FastifyReply) => {
    if (index === undefined) {
      throw new HttpError(
        404,
        "STATEFUN_NOT_FOUND",
        "the console is not built: run `npm run build` (it writes packages/server/console-dist)",
      );
    }
    return reply
      .type(types[".html"]!)
      .header("cache-control", "no-store")
      .header("content-security-policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
      .header("x-frame-options", "DENY")
      .send(index);
  };
  app.get("/", page);
  app.get("/signin", page);
  app.get<{ Params: { name: string } }>("/assets/:name", async (request, reply) => {
    const { name } = request.params;
    const body = name === "index.html" ? undefined : files.get(name);
    if (body === undefined) throw new HttpError(404, "STATEFUN_NOT_FOUND", `no console asset ${JSON.stringify(name)}`);
    return reply
      .type(types[extname(name)] ?? "application/octet-stream")
      .header("cache-control", "no-cache")
      .send(body);
  });
}
