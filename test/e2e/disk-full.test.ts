/**
 * A full disk does not stop the worker (issue 12, item 9): a real worker whose data directory is
 * a small tmpfs, mounted in a private mount namespace of its own (`unshare --mount`, as root), so
 * nothing outside sees it. The test fills that file system (`nsenter` into the namespace), so
 * commits fail with SQLite's real `SQLITE_FULL`; the ingress must answer 507 with a code, health,
 * reads and the admin API must keep answering, and the worker must not exit. Once the ballast is
 * removed, everything goes on by itself, and every message that was accepted (202) was applied
 * exactly once: each person's count, and one greeting per visit on the egress.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "@statefun-ts/test-kit";
import { afterAll, describe, expect, it } from "vitest";
import { greetingFor } from "../../examples/greeter/module.js";
import { CLI, freePortOffset, killAllWorkers, REPO_ROOT, WorkerProcess } from "./verifier/process.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-e2e-disk-full-"));
const mountPoint = join(dir, "disk");
afterAll(async () => {
  await killAllWorkers();
  rmSync(dir, { recursive: true, force: true });
});

const PEOPLE = Array.from({ length: 8 }, (_, i) => `p${i}`);

describe("a full disk under a running worker", () => {
  it("refuses ingress with 507, keeps serving health, reads and admin, and resumes with exact counts once space returns", async () => {
    expect(existsSync(CLI), `build first (npm run build): ${CLI}`).toBe(true);
    expect(process.getuid?.(), "this test mounts a tmpfs in a private mount namespace: it must run as root").toBe(0);
    mkdirSync(mountPoint);
    const portOffset = await freePortOffset();
    const worker = new WorkerProcess({
      // The tmpfs exists only in the worker's own mount namespace; `exec` keeps node's pid the wrapper's.
      wrapper: [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount -t tmpfs -o size=8m tmpfs "$0" && exec "$@"',
        mountPoint,
      ],
      // The free-space watermark is off: the commits themselves must meet the full disk.
      args: [
        CLI,
        "run",
        join(REPO_ROOT, "examples/greeter/module.ts"),
        "--data",
        join(mountPoint, "data"),
        "--min-free-disk",
        "0",
        "--port-offset",
        String(portOffset),
      ],
      portOffset,
      logFile: join(dir, "worker.log"),
    });
    await worker.start();
    const inNamespace = (...command: string[]) =>
      execFileSync("nsenter", ["--target", String(worker.pid), "--mount", ...command], { encoding: "utf8" });
    const { admin, ingress, egress } = worker.urls;
    const accepted = new Map<string, number>(PEOPLE.map((p) => [p, 0]));
    const statuses = new Map<number, number>();
    let sent = 0;
    let refusedInARow = 0;
    const send = async (person: string) => {
      const response = await fetch(`${ingress}/example/person/${person}`, {
        method: "PUT",
        headers: { "content-type": "application/vnd.example/GreetRequest" },
        body: JSON.stringify({ name: person }),
      });
      const body = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      refusedInARow = response.status === 507 ? refusedInARow + 1 : 0;
      if (response.status === 202) accepted.set(person, accepted.get(person)! + 1);
      else {
        expect(response.status, body).toBe(507);
        expect(JSON.parse(body)).toEqual({ code: "STATEFUN_DISK_FULL", error: expect.stringContaining("disk is full") });
      }
      return response.status;
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
    inNamespace("sh", "-c", `dd if=/dev/zero of=${join(mountPoint, "ballast")} bs=4k 2>/dev/null || true`);
    expect(inNamespace("df", "--output=avail", mountPoint)).toMatch(/\n\s*0\s*$/);
    await traffic(() => refusedInARow >= 20 || sent > 5_000);
    expect(refusedInARow, `no 20 refusals in a row within 5,000 messages:\n${worker.logTail()}`).toBeGreaterThanOrEqual(20);

    // While full: the worker runs, health, readiness, reads and the admin API answer.
    expect(worker.running, worker.logTail()).toBe(true);
    for (const path of ["/healthz", "/readyz", "/v1/functions", "/v1/deadletters", "/v1/state/example/person/p0"]) {
      const response = await fetch(`${admin}${path}`);
      expect(response.status, `${path}: ${await response.text()}`).toBe(200);
    }
    // An egress claim writes to the store: it is handed out, finds nothing, or is refused with 507, never a 500.
    const claim = await fetch(`${egress}/greetings/claim?visibility=1s`, { method: "POST" });
    expect([200, 404, 507], await claim.text()).toContain(claim.status);
    expect(worker.log()).toContain("the store's disk is full: commits are retried until space returns");

    // Space returns: the kept work commits, and new messages are taken again.
    inNamespace("rm", join(mountPoint, "ballast"));
    await until(async () => (await send("p0")) === 202, "a message to be accepted once space is back", {
      timeoutMs: 30_000,
      explain: () => worker.logTail(),
    });
    let after = 0;
    await traffic(() => after++ >= 40);
    expect(worker.log()).toContain("the store's disk has space again");

    // Exactly once: each person's count is the messages accepted for them, and each visit has one greeting.
    const count = async (person: string) => {
      const body = (await (await fetch(`${admin}/v1/state/example/person/${person}`)).json()) as {
        state?: { name: string; value: unknown }[];
      };
      return Number(body.state?.find((s) => s.name === "visits")?.value ?? 0);
    };
    await until(
      async () => (await Promise.all(PEOPLE.map(async (p) => (await count(p)) === accepted.get(p)))).every(Boolean),
      "the counts",
      {
        timeoutMs: 30_000,
        explain: async () => `accepted ${JSON.stringify([...accepted])}, counts ${JSON.stringify(await Promise.all(PEOPLE.map(count)))}`,
      },
    );
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
    const deadLetters = (await (await fetch(`${admin}/v1/deadletters`)).json()) as unknown[];
    expect(deadLetters).toEqual([]);
    console.log(
      `disk full: ${JSON.stringify(Object.fromEntries(statuses))} answers; accepted ${JSON.stringify(Object.fromEntries(accepted))}`,
    );
    await worker.kill();
  }, 120_000);
});
