import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Logger } from "@statefun-ts/runtime";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { bodyBytes } from "./app.js";
import { HttpError, sendError } from "./errors.js";

/** The console's session cookie. */
export const SESSION_COOKIE = "statefun_session";
/** The header the console sends with every change when signed in by cookie (a cross-site form or fetch cannot set it). */
export const CONSOLE_HEADER = "x-statefun-console";
const SESSION_TTL_MS = 12 * 3_600_000;
/** Paths anyone may read: health, the sign-in page and the console's static assets. */
const PUBLIC = [/^\/healthz$/, /^\/readyz$/, /^\/signin$/, /^\/assets\//, /^\/v1\/session$/];

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Changes (any method but GET/HEAD) are refused with 403 when the request comes from another
 * site: its `Origin` (or, without one, `Sec-Fetch-Site: cross-site`) does not match the host it
 * was sent to. Applies with and without a token (a page elsewhere cannot drive a loopback worker).
 */
export function refuseCrossSite(app: FastifyInstance, logger: Logger): void {
  app.addHook("onRequest", (request, reply, done) => {
    if (request.method === "GET" || request.method === "HEAD") return done();
    if (!crossSite(request)) return done();
    logger.warn({ method: request.method, url: request.url, origin: request.headers.origin }, "cross-site admin request refused");
    sendError(reply, new HttpError(403, "STATEFUN_FORBIDDEN", "cross-site requests may not change anything"));
  });
}

function crossSite(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (typeof origin === "string" && origin !== "null") {
    try {
      return new URL(origin).host !== request.headers.host;
    } catch {
      return true;
    }
  }
  if (origin === "null") return true;
  return request.headers["sec-fetch-site"] === "cross-site";
}

/**
 * Access with `STATEFUN_ADMIN_TOKEN`: every request but the public ones must carry
 * `Authorization: Bearer <token>` (the JSON API, the CLI) or the console's session cookie, got by
 * `POST /v1/session` with `{"token"}` (HttpOnly, SameSite=Strict). A change made with the cookie
 * must also carry the `x-statefun-console` header. A page requested without either redirects to `/signin`.
 */
export function requireAuth(app: FastifyInstance, token: string, logger: Logger): void {
  const expected = digest(token);
  const sessions = new Map<string, number>();
  const matches = (given: string) => timingSafeEqual(digest(given), expected);
  const session = (request: FastifyRequest): boolean => {
    const id = cookie(request.headers.cookie, SESSION_COOKIE);
    const until = id === undefined ? undefined : sessions.get(id);
    if (id === undefined || until === undefined) return false;
    if (until < Date.now()) {
      sessions.delete(id);
      return false;
    }
    return true;
  };

  app.addHook("onRequest", (request, reply, done) => {
    const path = request.url.split("?", 1)[0] ?? "";
    if (PUBLIC.some((p) => p.test(path))) return done();
    const header = request.headers.authorization;
    const bearer = typeof header === "string" && header.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
    if (bearer !== undefined && matches(bearer)) return done();
    if (bearer === undefined && session(request)) {
      if (request.method === "GET" || request.method === "HEAD" || request.headers[CONSOLE_HEADER] !== undefined) return done();
      return sendError(
        reply,
        new HttpError(403, "STATEFUN_FORBIDDEN", `a change made from a console session must carry the ${CONSOLE_HEADER} header`),
      );
    }
    logger.warn(
      {
        method: request.method,
        url: request.url,
        from: request.ip,
        reason: bearer === undefined ? "no bearer token or session" : "wrong token",
      },
      "admin API request refused",
    );
    if (request.method === "GET" && path === "/" && bearer === undefined) return redirect(reply, "/signin");
    sendError(
      reply.header("www-authenticate", "Bearer"),
      new HttpError(
        401,
        "STATEFUN_UNAUTHORIZED",
        "the admin API requires Authorization: Bearer $STATEFUN_ADMIN_TOKEN (or a console session)",
      ),
    );
  });

  app.get("/v1/session", async (request) => ({ required: true, signedIn: session(request) }));
  app.post("/v1/session", async (request, reply) => {
    let given: unknown;
    try {
      given = (JSON.parse(new TextDecoder().decode(bodyBytes(request.body))) as { token?: unknown }).token;
    } catch {
      throw new HttpError(400, "STATEFUN_BAD_REQUEST", 'the body must be JSON {"token": "…"}');
    }
    if (typeof given !== "string" || !matches(given)) {
      logger.warn({ from: request.ip }, "console sign-in refused: wrong token");
      throw new HttpError(401, "STATEFUN_UNAUTHORIZED", "wrong token");
    }
    const now = Date.now();
    for (const [id, until] of sessions) if (until < now) sessions.delete(id);
    const id = randomBytes(32).toString("base64url");
    sessions.set(id, now + SESSION_TTL_MS);
    reply.header("set-cookie", `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}`);
    return { signedIn: true };
  });
  app.delete("/v1/session", async (request, reply) => {
    const id = cookie(request.headers.cookie, SESSION_COOKIE);
    if (id !== undefined) sessions.delete(id);
    reply.header("set-cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return { signedIn: false };
  });
}

/** With no token, the session routes say none is needed. */
export function openSession(app: FastifyInstance): void {
  app.get("/v1/session", async () => ({ required: false, signedIn: true }));
}

function redirect(reply: FastifyReply, to: string): void {
  void reply.code(302).header("location", to).type("text/plain; charset=utf-8").send(`see ${to}`);
}

/** One cookie's value from a `Cookie` header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
