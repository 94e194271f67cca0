import type { ModuleCatalogChange, ModuleCatalogEntry, ModuleCatalogSnapshot, StoredMessage } from "@statefun-ts/runtime/spi";
import { MESSAGE_COLUMNS, type Row, toMessage } from "@statefun-ts/runtime/spi";
import type Database from "better-sqlite3";
import { select } from "./queries.js";

/**
 * The queries of dynamic loading (schema version 4): the module catalog, parked types, messages by
 * target type. The catalog's table and version row keep their schema names (`registry`,
 * `registry_version`).
 */
export interface DynamicLoadingQueries {
  load(): ModuleCatalogSnapshot;
  version(): number;
  change(change: ModuleCatalogChange): number;
  messagesOfType(
    keyGroups: readonly number[],
    all: number,
    functionType: string,
    afterSeq: number,
    upToSeq: number,
    limit: number,
  ): StoredMessage[];
  parkedTypes(): Map<string, number>;
  setParked(functionType: string, since: number | undefined): void;
}

export function dynamicLoadingQueries(db: Database.Database): DynamicLoadingQueries {
  const version = db.prepare("SELECT value FROM meta WHERE key = 'registry_version'").pluck();
  const bump = db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'registry_version' RETURNING value").pluck();
  const entries = db.prepare<[], Row>("SELECT kind, name, body FROM registry ORDER BY kind, name").raw(true);
  const upsert = db.prepare(
    "INSERT INTO registry (kind, name, body) VALUES (?, ?, ?) ON CONFLICT (kind, name) DO UPDATE SET body = excluded.body",
  );
  const remove = db.prepare("DELETE FROM registry WHERE kind = ? AND name = ?");
  const ofType = db
    .prepare<unknown[], Row>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages INDEXED BY messages_target_type
       WHERE target_namespace = ? AND target_type = ? AND due_at IS NULL AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`,
    )
    .raw(true);
  const parked = db.prepare<[], Row>("SELECT function_type, since FROM parked_types").raw(true);
  const park = db.prepare("INSERT OR IGNORE INTO parked_types (function_type, since) VALUES (?, ?)");
  const unpark = db.prepare("DELETE FROM parked_types WHERE function_type = ?");
  const change = db.transaction((c: ModuleCatalogChange) => {
    if (c.body === null) remove.run(c.kind, c.name);
    else upsert.run(c.kind, c.name, c.body);
    return bump.get() as number;
  });
  return {
    load: db.transaction(() => ({
      version: version.get() as number,
      entries: entries
        .all()
        .map((r): ModuleCatalogEntry => ({ kind: r[0] as ModuleCatalogEntry["kind"], name: r[1] as string, body: r[2] as string })),
    })),
    version: () => version.get() as number,
    change: (c) => change(c),
    messagesOfType(keyGroups, all, functionType, afterSeq, upToSeq, limit) {
      const cut = functionType.lastIndexOf("/");
      const { groups, everything } = select(all, keyGroups);
      if (limit <= 0 || cut < 0 || groups.length === 0) return [];
      const ns = functionType.slice(0, cut);
      const type = functionType.slice(cut + 1);
      if (everything) return ofType.all(ns, type, afterSeq, upToSeq, limit).map((row) => toMessage(row));
      const owned = new Set(groups);
      const out: StoredMessage[] = [];
      for (const row of ofType.iterate(ns, type, afterSeq, upToSeq, -1)) {
        if (!owned.has(row[1] as number)) continue;
        out.push(toMessage(row));
        if (out.length >= limit) break;
      }
      return out;
    },
    parkedTypes: () => new Map(parked.all().map((r) => [r[0] as string, r[1] as number])),
    setParked(functionType, since) {
      if (since === undefined) unpark.run(functionType);
      else park.run(functionType, since);
    },
  };
}
