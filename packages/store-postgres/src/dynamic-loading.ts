import type { ModuleCatalogChange, ModuleCatalogEntry, ModuleCatalogSnapshot, StoredMessage } from "@statefun-ts/runtime/spi";
import { MESSAGE_COLUMNS, type Row, toMessage } from "@statefun-ts/runtime/spi";
import { int4Array } from "./arrays.js";
import { type Named, named } from "./statements.js";

const DYNAMIC_LOADING = named({
  // One statement, one snapshot: the version and the entries it belongs to (no entries: one row of NULLs).
  loadModuleCatalog: `SELECT v.value::bigint, r.kind, r.name, r.body FROM meta v LEFT JOIN registry r ON true
    WHERE v.key = 'registry_version'`,
  moduleCatalogVersion: "SELECT value::bigint FROM meta WHERE key = 'registry_version'",
  // The version row's lock orders concurrent changes; each raises the version it finds by one.
  putCatalogEntry: `WITH put AS (INSERT INTO registry (kind, name, body) VALUES ($1, $2, $3)
      ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body)
    UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'registry_version' RETURNING value::bigint`,
  deleteCatalogEntry: `WITH gone AS (DELETE FROM registry WHERE kind = $1 AND name = $2)
    UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'registry_version' RETURNING value::bigint`,
  messagesOfType: `SELECT ${MESSAGE_COLUMNS} FROM messages
    WHERE target_namespace = $1 AND target_type = $2 AND due_at IS NULL AND seq > $3::bigint AND seq <= $4::bigint
      AND key_group = ANY($5::int[])
    ORDER BY seq LIMIT $6::int`,
  parkedTypes: "SELECT function_type, since FROM parked_types",
  park: "INSERT INTO parked_types (function_type, since) VALUES ($1, $2::bigint) ON CONFLICT (function_type) DO NOTHING",
  unpark: "DELETE FROM parked_types WHERE function_type = $1",
});

type Query = (statement: Named, values: unknown[]) => Promise<Row[]>;

const byKindAndName = (a: ModuleCatalogEntry, b: ModuleCatalogEntry): number =>
  a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * The module catalog, parked types and messages by target type (schema version 4), on PostgreSQL.
 * The catalog's table and version row keep their schema names (`registry`, `registry_version`).
 */
export class PostgresDynamicLoading {
  constructor(private readonly rows: Query) {}

  async load(): Promise<ModuleCatalogSnapshot> {
    const rows = await this.rows(DYNAMIC_LOADING.loadModuleCatalog, []);
    const entries = rows
      .filter((r) => r[1] !== null)
      .map((r): ModuleCatalogEntry => ({ kind: r[1] as ModuleCatalogEntry["kind"], name: r[2] as string, body: r[3] as string }));
    // Sorted here, by code units: the database's collation may order names otherwise.
    return { version: (rows[0]?.[0] as number | undefined) ?? 0, entries: entries.sort(byKindAndName) };
  }

  async version(): Promise<number> {
    const [row] = await this.rows(DYNAMIC_LOADING.moduleCatalogVersion, []);
    return (row?.[0] as number | undefined) ?? 0;
  }

  async change(change: ModuleCatalogChange): Promise<number> {
    const rows =
      change.body === null
        ? await this.rows(DYNAMIC_LOADING.deleteCatalogEntry, [change.kind, change.name])
        : await this.rows(DYNAMIC_LOADING.putCatalogEntry, [change.kind, change.name, change.body]);
    return rows[0]![0] as number;
  }

  async messagesOfType(
    keyGroups: number[],
    functionType: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): Promise<StoredMessage[]> {
    const cut = functionType.lastIndexOf("/");
    if (limit <= 0 || cut < 0 || keyGroups.length === 0) return [];
    const values = [functionType.slice(0, cut), functionType.slice(cut + 1), afterSeq, upToSeq, int4Array(keyGroups), limit];
    return (await this.rows(DYNAMIC_LOADING.messagesOfType, values)).map((row) => toMessage(row));
  }

  async parkedTypes(): Promise<Map<string, number>> {
    return new Map((await this.rows(DYNAMIC_LOADING.parkedTypes, [])).map((r) => [r[0] as string, r[1] as number]));
  }

  async setParked(functionType: string, since: number | undefined): Promise<void> {
    if (since === undefined) await this.rows(DYNAMIC_LOADING.unpark, [functionType]);
    else await this.rows(DYNAMIC_LOADING.park, [functionType, since]);
  }
}
