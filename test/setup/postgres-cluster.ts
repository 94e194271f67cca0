import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const SCRIPT = fileURLToPath(new URL("../../scripts/postgres/cluster.sh", import.meta.url));
const run = promisify(execFile);

/** A throwaway PostgreSQL server of scripts/postgres/cluster.sh, in a directory of its own. */
export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  readonly url: string;
  readonly dir: string;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
  /** The same, synchronously (for an exit handler). */
  stopSync(): void;
  /** Stops the server the way a crash does: no checkpoint, recovery from the WAL on restart. */
  crash(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
}

async function cluster(command: string, dir: string): Promise<string> {
  try {
    const { stdout } = await run("bash", [SCRIPT, command, dir], { timeout: 120_000 });
    return stdout.trim();
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`bash scripts/postgres/cluster.sh ${command} ${dir} failed: ${stderr?.trim() || message}`);
  }
}

/** Creates and starts a cluster in a new directory under the temp directory. */
export async function startPostgres(): Promise<PostgresCluster> {
  const dir = join(tmpdir(), `statefun-pg-${process.pid}-${randomBytes(4).toString("hex")}`);
  let url: string;
  try {
    url = await cluster("start", dir);
  } catch (error) {
    await cluster("stop", dir).catch(() => {});
    throw error;
  }
  let stopped = false;
  return {
    url,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await cluster("stop", dir);
    },
    stopSync() {
      if (stopped) return;
      stopped = true;
      execFileSync("bash", [SCRIPT, "stop", dir], { stdio: "ignore", timeout: 60_000 });
    },
    async crash() {
      await cluster("crash", dir);
    },
    async restart() {
      await cluster("restart", dir);
    },
  };
}
