import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { silentLogger } from "@statefun-ts/runtime";
import { afterAll, describe, expect, it } from "vitest";
import { backup, restore } from "../../packages/server/src/moving/backup.js";
import { exportStore } from "../../packages/server/src/moving/operations.js";
import { type RunningServer, startServer } from "../../packages/server/src/server.js";
import { CLI } from "../e2e/verifier/process.js";
import { exportFileLines, tempDir } from "./helpers.js";

const run = promisify(execFile);

const fixture = fileURLToPath(new URL("../../packages/server/src/fixtures/greeter-module.ts", import.meta.url));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Sends greetings from `senders` loops until `stop()`; counts the accepted ones. */
function load(ingress: string, senders: number): { accepted: () => number; stop: () => Promise<void> } {
  let running = true;
  let accepted = 0;
  const loops = Array.from({ length: senders }, async (_, s) => {
    for (let i = 0; running; i++) {
      const response = await fetch(`${ingress}/example/greeter/user-${s}-${i % 50}`, { method: "PUT", body: `s${s}` });
      await response.arrayBuffer();
      if (response.status === 202 || response.status === 200) accepted++;
    }
  });
  return {
    accepted: () => accepted,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

describe("online backup and restore", () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it("a backup taken under load restores to a store whose counts are those of the copy; an export of it matches", async () => {
    const data = join(tmp.dir, "data");
    server = await startServer({ modules: [fixture], dataDir: data, ports: { admin: 0, ingress: 0, egress: 0 }, logger: silentLogger });
    const admin = `http://127.0.0.1:${server.ports.admin}`;
    const traffic = load(`http://127.0.0.1:${server.ports.ingress}`, 4);
    try {
      while (traffic.accepted() < 200) await new Promise((resolve) => setTimeout(resolve, 20));

      // The worker holds the store's lock: an offline backup is refused and says how to do it online.
      await expect(backup({ data, out: join(tmp.dir, "offline.db") })).rejects.toThrow(/in use.*statefun backup --admin/);
      await expect(exportStore({ store: { kind: "sqlite", dir: data }, out: join(tmp.dir, "x.jsonl") })).rejects.toThrow(
        /in use by another process.*stop the worker first, or copy it while it runs: statefun export --admin URL/,
      );

      const counts = await backup({ admin, out: join(tmp.dir, "online.db") });

      // statefun export --admin: an export of the running worker, through an online backup.
      const cli = await run(process.execPath, [CLI, "export", "--admin", admin, "--out", join(tmp.dir, "online.jsonl")]);
      expect(cli.stderr).toMatch(/exported \d+ records/);
      const trailer = JSON.parse(exportFileLines(join(tmp.dir, "online.jsonl")).at(-1)!);
      expect(trailer.counts.state).toBeGreaterThanOrEqual(counts.state);
      const during = traffic.accepted();
      while (traffic.accepted() < during + 100) await new Promise((resolve) => setTimeout(resolve, 20));

      expect(counts.state).toBeGreaterThan(0);
      const restored = await restore({ file: join(tmp.dir, "online.db"), data: join(tmp.dir, "restored") });
      expect(restored).toEqual(counts);
      const exported = await exportStore({
        store: { kind: "sqlite", dir: join(tmp.dir, "restored") },
        out: join(tmp.dir, "restored.jsonl"),
      });
      expect(exported.counts).toEqual(counts);
    } finally {
      await traffic.stop();
      await server.close();
      server = undefined;
    }
    // The worker went on after the backup: its own store has more than the copy.
    const after = await exportStore({ store: { kind: "sqlite", dir: data }, out: join(tmp.dir, "after.jsonl") });
    expect(after.counts.egress).toBeGreaterThan(0);
  });

  it("restore refuses a directory that holds a store, and a file that is not a backup, leaving nothing behind", async () => {
    const junk = join(tmp.dir, "junk.db");
    writeFileSync(junk, "this is not a database, just text that is long enough".repeat(100));
    await expect(restore({ file: junk, data: join(tmp.dir, "from-junk") })).rejects.toThrow(/junk.db is not a Statefun TS backup/);
    expect(existsSync(join(tmp.dir, "from-junk", "statefun.db"))).toBe(false);
    await expect(restore({ file: join(tmp.dir, "online.db"), data: join(tmp.dir, "data") })).rejects.toThrow(/holds a store already/);
  });
});
