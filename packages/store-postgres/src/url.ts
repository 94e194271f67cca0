import { StatefunError } from "@statefun-ts/protocol";
import { PostgresStore, type PostgresStoreOptions } from "./postgres-store.js";

/**
 * A `PostgresStore` from a `postgres://` (or `postgresql://`) URL, as `statefun run --store` takes
 * it. The query parameter `schema` picks the schema (default `statefun`); every other parameter
 * goes to node-postgres (`sslmode`, `application_name`, …).
 *
 * @example
 * const store = storeFromUrl("postgres://statefun@127.0.0.1:5432/statefun?schema=orders");
 */
export function storeFromUrl(url: string, options: Omit<PostgresStoreOptions, "url" | "pool" | "schema"> = {}): PostgresStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new StatefunError("STATEFUN_BAD_CONFIG", `the store URL is not a URL: ${JSON.stringify(url)}`, { cause });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new StatefunError(
      "STATEFUN_BAD_CONFIG",
      `a PostgreSQL store URL starts with postgres:// or postgresql://, got ${parsed.protocol}//…`,
    );
  }
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  return new PostgresStore({ ...options, url: parsed.toString(), ...(schema === undefined ? {} : { schema }) });
}
