import type { FastifyInstance, FastifyRequest } from "fastify";
import type { LiveModules } from "../dynamic/live-modules.js";
import { bodyBytes } from "./app.js";
import { HttpError } from "./errors.js";
import { parkedUnder } from "./parked.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Dynamic loading routes of the admin API: `GET/PUT/DELETE /v1/functions/{namespace}/{name}`
 * (name `*`: a whole namespace; the body a remote endpoint as JSON), `GET /v1/modules`,
 * `GET/PUT/DELETE /v1/modules/{name}` (the body a module YAML), `GET /v1/parked`.
 */
export function dynamicRoutes(
  app: FastifyInstance,
  live: LiveModules,
  parked: () => Map<string, number>,
  describe: (typename: string) => object | undefined,
): void {
  app.get("/v1/parked", async () => Object.fromEntries([...parked()].sort(([a], [b]) => (a < b ? -1 : 1))));

  app.get("/v1/functions/*", async (request) => {
    const typename = typenameOf(request);
    const body = live.body("function", typename);
    if (body !== undefined) {
      return {
        typename,
        source: live.sourceOf(typename),
        binding: JSON.parse(body) as unknown,
        parked: parkedUnder(parked(), typename),
      };
    }
    // Bound some other way (a module file on the command line, a module loaded through the admin API): described as GET /v1/functions lists it.
    const described = describe(typename);
    if (described === undefined) {
      throw new HttpError(404, "STATEFUN_NOT_FOUND", `nothing binds ${typename} (GET /v1/functions lists what is bound)`);
    }
    return described;
  });
  app.put("/v1/functions/*", async (request) => live.putFunction(typenameOf(request), text(request)));
  app.delete("/v1/functions/*", async (request) => {
    const typename = typenameOf(request);
    if (!(await live.remove("function", typename))) throw new HttpError(404, "STATEFUN_NOT_FOUND", `no function binding ${typename}`);
    return { typename, removed: true };
  });

  app.get("/v1/modules", async () => live.list("module"));
  app.get<{ Params: { name: string } }>("/v1/modules/:name", async (request, reply) => {
    const body = live.body("module", request.params.name);
    if (body === undefined) throw new HttpError(404, "STATEFUN_NOT_FOUND", `no module ${JSON.stringify(request.params.name)}`);
    return reply.type("application/yaml; charset=utf-8").send(body);
  });
  app.put<{ Params: { name: string } }>("/v1/modules/:name", async (request) => live.putModule(request.params.name, text(request)));
  app.delete<{ Params: { name: string } }>("/v1/modules/:name", async (request) => {
    const { name } = request.params;
    if (!(await live.remove("module", name))) throw new HttpError(404, "STATEFUN_NOT_FOUND", `no module ${JSON.stringify(name)}`);
    return { name, removed: true };
  });
}

function typenameOf(request: FastifyRequest): string {
  const rest = (request.url.split("?", 1)[0] ?? "").slice("/v1/functions/".length);
  const expected = `expected /v1/functions/{namespace}/{name} (name * for a whole namespace), got ${JSON.stringify(rest)}`;
  const parts = rest.split("/");
  if (parts.length !== 2) throw new HttpError(400, "STATEFUN_BAD_REQUEST", expected);
  const [namespace, name] = parts.map((part) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      throw new HttpError(400, "STATEFUN_BAD_REQUEST", `invalid URL encoding in ${JSON.stringify(rest)}`);
    }
    if (decoded === "") throw new HttpError(400, "STATEFUN_BAD_REQUEST", expected);
    if (decoded.includes("/")) {
      throw new HttpError(
        400,
        "STATEFUN_BAD_REQUEST",
        `${JSON.stringify(decoded)} (from ${JSON.stringify(part)}) contains "/": a namespace or a name may not; ${expected}`,
      );
    }
    return decoded;
  });
  return `${namespace}/${name}`;
}

function text(request: FastifyRequest): string {
  try {
    return utf8.decode(bodyBytes(request.body));
  } catch {
    throw new HttpError(400, "STATEFUN_BAD_REQUEST", "the request body is not valid UTF-8");
  }
}
