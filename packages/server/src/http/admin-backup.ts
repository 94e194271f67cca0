import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SnapshotCounts } from "@statefun-ts/runtime/spi";
import type { FastifyInstance } from "fastify";
import { BACKUP_COUNTS_HEADER } from "../moving/backup.js";

/** Copies the embedded store online to `file` (SQLite's backup API); resolves with the counts of the copy. */
export type BackupStore = (file: string) => Promise<SnapshotCounts>;

/**
 * `POST /v1/backup`: an online copy of the embedded store, sent as the response body (a SQLite
 * database), with its counts in the `statefun-backup-counts` header. The worker keeps committing
 * while it copies: SQLite's backup steps are short and its commits are carried into the copy.
 */
export function backupRoutes(app: FastifyInstance, backup: BackupStore): void {
  app.post("/v1/backup", async (_request, reply) => {
    const dir = await mkdtemp(join(tmpdir(), "statefun-backup-"));
    const file = join(dir, "statefun.db");
    try {
      const counts = await backup(file);
      const stream = createReadStream(file);
      const cleanup = () => {
        rm(dir, { recursive: true, force: true }).catch(() => {});
      };
      stream.once("close", cleanup);
      return reply.header(BACKUP_COUNTS_HEADER, JSON.stringify(counts)).type("application/vnd.sqlite3").send(stream);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  });
}
