/**
 * A full disk does not stop the worker (issue 12, item 9): a real worker whose data directory is
 * a small tmpfs in a private mount namespace (`fixtures/private-disk.ts`, as root), so nothing
 * outside sees it. The test fills that file system, so commits fail with SQLite's real
 * `SQLITE_FULL`; the ingress must answer 507 with a code, health, reads and the admin API must
 * keep answering, and the worker must not exit. Once the ballast is removed, everything goes on by
 * itself, and every message that was accepted (202) was applied exactly once: each person's
 * count, and one greeting per visit on the egress. A worker started on a full disk waits for
 * space with its admin API up, then starts by itself.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "@statefun-ts/test-kit";
import { afterAll, describe, expect, it } from "vitest";
import { greetingFor } from "../../examples/greeter/module.js";
import { PrivateDisk } from "./fixtures/private-disk.js";
import { CLI, freePortOffset, killAllWorkers, REPO_ROOT, WorkerProcess } from "./verifier/process.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-e2e-disk-full-"));
const disks: PrivateDisk[] = [];
afterAll(async () => {
  await killAllWorkers();
  for (const disk of disks) disk.unmount();
  rmSync(dir, { recursive: true, force: true });
});

const PEOPLE = Array.from({ length: 8 }, (_, i) => `p${i}`);

/** A worker of the greeter example on an 8 MiB private disk, the free-space watermark off (commits meet the full disk). */
async function workerOnPrivateDisk(
  name: string,
  env: NodeJS.ProcessEnv,
  readyTimeoutMs = 30_000,
): Promise<{ disk: PrivateDisk; worker: WorkerProcess }> {
  expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
  const disk = await PrivateDisk.mount(join(dir, name), "8m");
  disks.push(disk);
  const portOffset = await freePortOffset();
  const module = join(REPO_ROOT, "examples/greeter/module.ts");
  const worker = new WorkerProcess({
    wrapper: disk.wrapper,
    args: [CLI, "run", module, "--data", join(disk.dir, "data"), "--min-free-disk", "0", "--port-offset", String(portOffset)],
    portOffset,
    logFile: join(dir, `${name}.log`),
    readyTimeoutMs,
    env,
  });
  return { disk, worker };
}

/** Sends a greeter request for `person`. */
async function greet(ingress: string, person: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${ingress}/example/person/${person}`, {
    method: "PUT",
    headers: { "content-type": "application/vnd.example/GreetRequest" },
    body: JSON.stringify({ name: person }),
  });
  return { status: response.status, body: await response.text() };
}

/** The count of visits of `person`, through the admin API. */
async function visits(admin: string, person: string): Promise<number> {
  const body = (await (await fetch(`${admin}/v1/state/example/person/${person}`)).json()) as {
    state?: { name: string; value: unknown }[];
  };
  return Number(body.state?.find((s) => s.name === "visits")?.value ?? 0);
}

/**
 * The full-disk run: traffic, then the disk filled under it until the ingress refuses 20 messages
 * in a row (507 with its code); health, reads and the admin API answer meanwhile and the worker
 * stays up (or, with `stopWhileFull`, stops at once on SIGTERM and is started again once space is
 * back); space returns, more traffic, and every accepted message was applied exactly once.
 */
async function exactlyOnceAcrossAFullDisk(worker: WorkerProcess, disk: PrivateDisk, stopWhileFull: boolean): Promise<void> {
  /** What the egress and admin writes answered on the full disk, for the log. */
  const adminAnswers: string[] = [];
  const { admin, ingress, egress } = worker.urls;
  const accepted = new Map<string, number>(PEOPLE.map((p) => [p, 0]));
  const statuses = new Map<number, number>();
  let sent = 0;
  let refusedInARow = 0;
  const send = async (person: string) => {
    const { status, body } = await greet(ingress, person);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    refusedInARow = status === 507 ? refusedInARow + 1 : 0;
    if (status === 202) accepted.set(person, accepted.get(person)! + 1);
    else {
      expect(status, body).toBe(507);
      expect(JSON.parse(body)).toEqual({ code: "STATEFUN_DISK_FULL", error: expect.stringContaining("disk is full") });
    }
    return status;
  };
  /** Four senders, each to its own two people, until `stop` says so. */
  const traffic = (stop: () => boolean) =>
    Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        while (!stop()) await send(PEOPLE[(lane * 2 + (sent++ % 2)) % PEOPLE.length]!);
      }),
    );

  // Some traffic on a disk with room.
  let before = 0;
  await traffic(() => before++ >= 40);
  expect(statuses.get(202)).toBeGreaterThan(0);

  // Fill the file system; send until the commits fail and the ingress refuses for a while.
  disk.fill();
  expect(disk.available()).toBe(0);
  await traffic(() => refusedInARow >= 20 || sent > 5_000);
  expect(refusedInARow, `no 20 refusals in a row within 5,000 messages:\n${worker.logTail()}`).toBeGreaterThanOrEqual(20);

  // While full: the worker runs, health, readiness, reads and the admin API answer.
  expect(worker.running, worker.logTail()).toBe(true);
  for (const path of ["/healthz", "/readyz", "/v1/functions", "/v1/deadletters", "/v1/state/example/person/p0", "/metrics"]) {
    const response = await fetch(`${admin}${path}`);
    expect(response.status, `${path}: ${await response.text()}`).toBe(200);
  }
  // An egress claim writes to the store: it is handed out, finds nothing, or is refused with 507, never a 500.
  const claim = await fetch(`${egress}/greetings/claim?visibility=1s`, { method: "POST" });
  expect([200, 404, 507], await claim.text()).toContain(claim.status);
  expect(await (await fetch(`${admin}/metrics`)).text()).toMatch(/^statefun_store_full 1$/m);
  // An admin change is stored too: it goes through, or is refused with 507 and its code, never a 500.
  const bind = await fetch(`${admin}/v1/functions/extra/*`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ kind: "remote", url: "http://127.0.0.1:9/{function.name}" }),
  });
  const bound = await bind.text();
  expect([200, 507], bound).toContain(bind.status);
  if (bind.status === 507) expect(JSON.parse(bound)).toMatchObject({ code: "STATEFUN_DISK_FULL" });
  adminAnswers.push(`claim ${claim.status}, bind ${bind.status}`);
  expect(worker.log()).toContain("the store's disk is full: commits are retried until space returns");

  // A graceful stop while full does not wait for space (what was not committed runs again at the next start).
  if (stopWhileFull) {
    expect(await worker.stop()).toBe("exit code 0");
    expect(worker.log()).toContain("statefun worker stopped");
  }

  // Space returns: the kept work commits, and new messages are taken again.
  disk.free();
  if (stopWhileFull) await worker.start();
  await until(async () => (await send("p0")) === 202, "a message to be accepted once space is back", {
    timeoutMs: 30_000,
    explain: () => worker.logTail(),
  });
  let after = 0;
  await traffic(() => after++ >= 40);
  if (!stopWhileFull) expect(worker.log()).toContain("the store's disk has space again: commits go on");

  expect(await (await fetch(`${admin}/metrics`)).text()).toMatch(/^statefun_store_full 0$/m);

  // Exactly once: each person's count is the messages accepted for them, and each visit has one greeting.
  const counts = () => Promise.all(PEOPLE.map((p) => visits(admin, p)));
  await until(async () => (await counts()).every((n, i) => n === accepted.get(PEOPLE[i]!)), "the counts", {
    timeoutMs: 30_000,
    explain: async () => `accepted ${JSON.stringify([...accepted])}, counts ${JSON.stringify(await counts())}`,
  });
  const greetings: string[] = [];
  const expected = PEOPLE.flatMap((p) => Array.from({ length: accepted.get(p)! }, (_, i) => greetingFor(p, i + 1)));
  await until(
    async () => {
      for (;;) {
        const response = await fetch(`${egress}/greetings`);
        if (response.status !== 200) return greetings.length >= expected.length;
        greetings.push(await response.text());
      }
    },
    "every greeting on the egress",
    { timeoutMs: 30_000, explain: () => `${greetings.length} of ${expected.length} greetings` },
  );
  expect(greetings.sort()).toEqual(expected.sort());
  expect(worker.unexpectedExits).toEqual([]);
  expect(await (await fetch(`${admin}/v1/deadletters`)).json()).toEqual([]);
  console.log(
    `disk full: ${JSON.stringify(Object.fromEntries(statuses))} answers (${adminAnswers.join("; ")}); accepted ${JSON.stringify(Object.fromEntries(accepted))}`,
  );
}

// The store on a thread of its own (the default, STATEFUN_SQLITE_THREAD=1: its errors cross a thread), and in the worker's main thread.
describe.each([
  ["", { STATEFUN_SQLITE_THREAD: "1" }],
  [" (SQLite store on the engine's thread)", { STATEFUN_SQLITE_THREAD: "0" }],
])("a full disk under a worker%s", (variant, env) => {
  const named = (name: string) => `${name}${variant === "" ? "" : "-engine-thread"}`;
  it.each([
    ["", false],
    [", also across a stop (SIGTERM) while full", true],
  ])(
    "refuses ingress with 507, keeps serving health, reads and admin, and resumes with exact counts once space returns%s",
    async (_, stopWhileFull) => {
      const { disk, worker } = await workerOnPrivateDisk(named(stopWhileFull ? "stopped" : "running"), env);
      await worker.start();
      await exactlyOnceAcrossAFullDisk(worker, disk, stopWhileFull);
      await worker.kill();
    },
    120_000,
  );

  it.each(["with its data", "on a new data directory"])(
    "starts on a full disk %s: its admin API up (/healthz 200, /readyz 503 naming the disk), and by itself once space returns",
    async (how) => {
      const fresh = how === "on a new data directory";
      const { disk, worker } = await workerOnPrivateDisk(named(fresh ? "starting-new" : "starting"), env, 60_000);
      let before = 0;
      if (!fresh) {
        await worker.start();
        for (; before < 3; before++) expect((await greet(worker.urls.ingress, "ann")).status).toBe(202);
        await until(async () => (await visits(worker.urls.admin, "ann")) === 3, "ann's 3 visits");
        await worker.kill();
      }
      disk.fill();
      expect(disk.available()).toBe(0);

      const starting = worker.start();
      const { admin, ingress } = worker.urls;
      const readiness = async () => {
        const response = await fetch(`${admin}/readyz`).catch(() => undefined);
        return response === undefined ? undefined : { status: response.status, body: await response.json() };
      };
      await until(async () => ((await readiness())?.body as { problems?: unknown })?.problems !== undefined, "/readyz naming a problem", {
        timeoutMs: 30_000,
        explain: () => worker.logTail(),
      });
      expect(await readiness()).toEqual({
        status: 503,
        body: { status: "not ready", problems: [expect.stringContaining("disk is full")] },
      });
      expect((await fetch(`${admin}/healthz`)).status).toBe(200);
      expect(worker.running, worker.logTail()).toBe(true);

      disk.free();
      await starting;
      expect(await visits(admin, "ann")).toBe(before);
      expect((await greet(ingress, "ann")).status).toBe(202);
      await until(async () => (await visits(admin, "ann")) === before + 1, "ann's next visit");
      expect(worker.log()).toContain("the store's disk has space again: the worker starts");
      expect(worker.unexpectedExits).toEqual([]);
      await worker.kill();
    },
    120_000,
  );
});

// PostgreSQL (cluster mode) with its data directory on the full disk: commits fail with 53100
// (`could not extend file …: No space left on device`), and the worker holds on the same way.
describe("a full disk under PostgreSQL", () => {
  it("refuses ingress with 507 while PostgreSQL answers disk_full, and resumes with exact counts once space returns", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    // The server runs as the `postgres` user (as root): it must reach its directory.
    chmodSync(dir, 0o755);
    const disk = await PrivateDisk.mount(join(dir, "postgres"), "96m");
    disks.push(disk);
    const cluster = join(disk.dir, "pg");
    const url = disk.inside("bash", join(REPO_ROOT, "scripts/postgres/cluster.sh"), "start", cluster).trim();
    try {
      const portOffset = await freePortOffset();
      const module = join(REPO_ROOT, "examples/greeter/module.ts");
      const worker = new WorkerProcess({
        wrapper: disk.wrapper,
        args: [CLI, "run", module, "--store", url, "--port-offset", String(portOffset)],
        portOffset,
        logFile: join(dir, "postgres.log"),
      });
      await worker.start();
      await exactlyOnceAcrossAFullDisk(worker, disk, false);
      expect(worker.log()).toContain("No space left on device");
    } finally {
      disk.inside("bash", join(REPO_ROOT, "scripts/postgres/cluster.sh"), "stop", cluster);
    }
  }, 180_000);
});
