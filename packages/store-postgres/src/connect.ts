import { StatefunError } from "@statefun-ts/protocol";
import pg from "pg";

/** How to reach the database: a URL, or node-postgres pool settings (host, port, user, password, ssl, max, …). */
export type Connection = { readonly url: string } | { readonly pool: pg.PoolConfig };

const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name usable unquoted in SQL, or a clear error naming it. */
export function checkSchema(schema: string): string {
  if (!SCHEMA.test(schema)) {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `schema must be a lower-case SQL identifier (letters, digits, underscores, at most 63), got ${JSON.stringify(schema)}`,
    );
  }
  return schema;
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

/** `int8` (bigint, count(*)) as a JS number: every bigint the store keeps stays below 2^53. */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 && format !== "binary"
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * Pool settings of a URL. Its `options` parameter (server settings, `-c name=value`) is taken out
 * to be merged with the store's own: node-postgres lets URL parameters override explicit settings.
 */
function fromUrl(url: string): pg.PoolConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url };
  }
  const options = parsed.searchParams.get("options");
  if (options === null) return { connectionString: url };
  parsed.searchParams.delete("options");
  return { connectionString: parsed.toString(), options };
}

/**
 * Settings of a connection that uses `schema` (and nothing else) for unqualified names, and
 * commits durably: `synchronous_commit = on` whatever the server's default.
 */
export function connectionConfig(connection: Connection, schema: string): pg.PoolConfig {
  const base: pg.PoolConfig = "url" in connection ? fromUrl(connection.url) : { ...connection.pool };
  return {
    ...base,
    types,
    options: `${base.options ?? ""} -c search_path=${schema} -c synchronous_commit=on -c plan_cache_mode=force_generic_plan`.trim(),
    application_name: base.application_name ?? "statefun-ts",
  };
}

/** A pool of connections of `connectionConfig`. */
export function createPool(connection: Connection, schema: string, max: number): pg.Pool {
  const pool = new pg.Pool({ max, ...connectionConfig(connection, schema) });
  // An idle connection that breaks (the server restarted) is dropped from the pool; without a
  // listener its error would crash the process. The next query opens a new connection.
  pool.on("error", () => {});
  return pool;
}

/** Where the pool connects, for messages (never with the password). */
export function describe(connection: Connection): string {
  if ("url" in connection) return redact(connection.url);
  const { host = "localhost", port = 5432, database = "", user = "" } = connection.pool;
  return `postgres://${user}${user ? "@" : ""}${host}:${port}/${database}`;
}

const ignore = () => {};

/**
 * Runs `work` on a connection of the pool. A connection that breaks while checked out emits an
 * `error` event (fatal without a listener) besides failing the query in flight; the listener here
 * leaves the failure to the query. After any failure but a `StatefunError` (a fence), the
 * connection is dropped rather than reused: it may be broken.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  client.on("error", ignore);
  let broken: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    if (!StatefunError.is(error)) broken = error as Error;
    throw error;
  } finally {
    client.off("error", ignore);
    client.release(broken);
  }
}
