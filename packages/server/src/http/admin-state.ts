import { type Address, checkAddress } from "@statefun-ts/protocol";
import type { Runtime } from "@statefun-ts/runtime";
import type { ConsoleReads } from "@statefun-ts/runtime/spi";
import type { FastifyInstance } from "fastify";
import { bodyBytes } from "./app.js";
import { typedValueFromJson } from "./encode.js";
import { HttpError } from "./errors.js";

/** What the state edit routes use of the runtime. */
export type StateEditRuntime = Pick<Runtime, "editState">;

/**
 * `PUT /v1/state/{namespace}/{type}/{id}/{name}` (body `{"typename", "value", "encoding"?}`, as
 * `GET /v1/state/…` shows values) and `DELETE` of the same path: an edit of one state value,
 * applied in the instance's order through the commit pipeline (`Runtime.editState`). Answers once
 * committed; 202 when it waits (its function type is not loaded: the edit is applied once it is).
 */
export function stateEditRoutes(app: FastifyInstance, runtime: StateEditRuntime): void {
  app.put("/v1/state/*", async (request, reply) => {
    const { address, name } = stateNameFromPath(request.url);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bodyBytes(request.body)));
    } catch {
      throw new HttpError(400, "STATEFUN_BAD_REQUEST", 'the body must be JSON {"typename", "value"}');
    }
    const value = typedValueFromJson(json, `state ${name}`);
    const applied = await runtime.editState(address, { name, value }, 10_000);
    return reply.code(applied ? 200 : 202).send({ address, name, applied });
  });
  app.delete("/v1/state/*", async (request, reply) => {
    const { address, name } = stateNameFromPath(request.url);
    const applied = await runtime.editState(address, { name, value: null }, 10_000);
    return reply.code(applied ? 200 : 202).send({ address, name, deleted: applied, applied });
  });
}

/** `/v1/state/{namespace}/{type}/{id}/{name}`, each segment URL-decoded. */
export function stateNameFromPath(url: string): { address: Address; name: string } {
  const path = url.split("?", 1)[0] ?? "";
  const segments = path.slice("/v1/state/".length).split("/");
  if (segments.length !== 4 || segments.some((s) => s === "")) {
    throw new HttpError(
      404,
      "STATEFUN_NOT_FOUND",
      `no route for ${JSON.stringify(path)}: expected /v1/state/{namespace}/{type}/{id}/{name}`,
    );
  }
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    throw new HttpError(400, "STATEFUN_BAD_ADDRESS", `invalid URL encoding in path ${JSON.stringify(path)}`);
  }
  const [namespace = "", type = "", id = "", name = ""] = decoded;
  try {
    return { address: checkAddress({ namespace, type, id }, `path ${JSON.stringify(path)}`), name };
  } catch (error) {
    throw new HttpError(400, "STATEFUN_BAD_ADDRESS", (error as Error).message);
  }
}

/**
 * `GET /v1/instances/{namespace}/{type}?after=<id>&limit=<n>`: ids of the instances of a function
 * type that have state, ascending, a page at a time (`next`: the `after` of the next page, null at the end).
 */
export function instanceRoutes(app: FastifyInstance, reads: Pick<ConsoleReads, "listInstances">): void {
  app.get<{ Params: { namespace: string; type: string }; Querystring: Record<string, string | undefined> }>(
    "/v1/instances/:namespace/:type",
    async (request) => {
      const { namespace, type } = request.params;
      const { after } = request.query;
      const raw = request.query.limit;
      const limit = raw === undefined ? 50 : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) {
        throw new HttpError(400, "STATEFUN_BAD_REQUEST", `invalid limit ${JSON.stringify(raw)}: expected an integer from 1 to 1000`);
      }
      const ids = await reads.listInstances({ namespace, type }, after === undefined || after === "" ? undefined : after, limit + 1);
      const page = ids.slice(0, limit);
      return { namespace, type, instances: page, next: ids.length > limit ? (page[page.length - 1] ?? null) : null };
    },
  );
}
