import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { StoreTarget } from "../../packages/server/src/cli/args.js";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";

/** A temporary directory removed by `cleanup`. */
export function tempDir(prefix = "statefun-moving-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A PostgreSQL store target in a schema of its own on the test server, and how to drop it. */
export function postgresTarget(): { target: StoreTarget & { kind: "postgres" }; url: string; drop: () => Promise<void> } {
  const schema = uniqueSchema("mv");
  const url = new URL(testPostgresUrl());
  url.searchParams.set("schema", schema);
  return { target: { kind: "postgres", url: url.toString() }, url: url.toString(), drop: () => dropSchema(schema) };
}

/** The lines of an export file (gunzipped when needed), without the final empty string. */
export function exportFileLines(file: string): string[] {
  let data = readFileSync(file);
  if (data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
  return data.toString("utf8").split("\n").slice(0, -1);
}

/** The record lines of an export: every line but the header (which names the source and time) and the trailer. */
export function recordLines(file: string): string[] {
  return exportFileLines(file).slice(1, -1);
}
