// The moving commands through the built CLI: exit codes, what they print, the progress bar.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { progressBar } from "../../packages/server/src/moving/progress.js";
import { CLI } from "../e2e/verifier/process.js";
import { fillStore } from "./fill.js";
import { exportFileLines, postgresTarget, tempDir } from "./helpers.js";

const run = promisify(execFile);
const tmp = tempDir();
const source = join(tmp.dir, "source");
afterAll(() => tmp.cleanup());
beforeAll(async () => {
  const store = new SqliteStore({ dir: source, keyGroups: 8 });
  await store.open();
  await fillStore(store, { keyGroups: 8, instances: 30 });
  await store.close();
});

/** Runs `statefun ARGS`; resolves with the exit code and output (never rejects). */
async function statefun(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("statefun export, import, migrate (built CLI)", () => {
  it("exports to a file and stdout, imports, migrates; a bad file exits 1 naming its line; a bad option exits 2", async () => {
    const out = join(tmp.dir, "export.jsonl.gz");
    const exported = await statefun("export", "--store", `sqlite:${source}`, "--out", out);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toMatch(/exported \d+ records to .*export.jsonl.gz\n/);
    expect(exported.stderr).toMatch(/state digest \(sha256 of the records\): [0-9a-f]{64}/);
    const toStdout = await statefun("export", "--store", source);
    expect(toStdout.stdout.split("\n").slice(1, -2)).toEqual(exportFileLines(out).slice(1, -1));

    const again = await statefun("export", "--store", source, "--out", out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^statefun: .*export.jsonl.gz exists already: give a new file\n$/);

    const imported = await statefun("import", out, "--store", join(tmp.dir, "copy"));
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/^imported \d+ records from /);
    expect(imported.stdout).toMatch(/^state\s+\d+$/m);

    const lines = exportFileLines(out);
    lines[5] = lines[5]!.replace('"kind":"', '"kind":"x');
    const bad = join(tmp.dir, "bad.jsonl");
    writeFileSync(bad, `${lines.join("\n")}\n`);
    const refused = await statefun("import", bad, "--store", join(tmp.dir, "never"));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^statefun: .*bad.jsonl line 6: unknown record kind "x/);

    const pg = postgresTarget();
    try {
      const migrated = await statefun("migrate", "--from", `sqlite:${source}`, "--to", pg.url);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toMatch(/^kind\s+source\s+target$/m);
      expect(migrated.stdout).toMatch(/verified: every count equal, state digest [0-9a-f]{64} on both sides/);
      const twice = await statefun("migrate", "--from", `sqlite:${source}`, "--to", pg.url);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toMatch(/is not empty: import into a new store, or merge with --merge/);
    } finally {
      await pg.drop();
    }

    expect((await statefun("migrate", "--from", source)).code).toBe(2);
    expect((await statefun("export", "--store", "mysql://x/y")).stderr).toMatch(/unsupported store URL/);
    const none = await statefun("export", "--store", join(tmp.dir, "nothing-here"));
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/there is no store at sqlite:.*nothing-here/);
  }, 60_000);

  it("draws a progress bar with the rate and the time left on a terminal, and nothing elsewhere", () => {
    const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 120 }) as unknown as NodeJS.WriteStream;
    let text = "";
    (terminal as unknown as PassThrough).on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    const bar = progressBar(1000, "migrating", terminal);
    for (let i = 0; i < 1000; i++) bar.tick();
    bar.stop();
    expect(text).toMatch(/migrating \[#+\] 100% \| 1000\/1000 records \| \d+ records\/s \| ETA \d+s/);

    const pipe = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.WriteStream;
    let piped = "";
    (pipe as unknown as PassThrough).on("data", (chunk: Buffer) => {
      piped += chunk.toString();
    });
    const silent = progressBar(10, "migrating", pipe);
    silent.tick();
    silent.stop();
    expect(piped).toBe("");
  });
});
