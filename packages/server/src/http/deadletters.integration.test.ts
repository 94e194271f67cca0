import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "@statefun-ts/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../server.js";

const fixture = fileURLToPath(new URL("../fixtures/greeter-module.ts", import.meta.url));

interface Listed {
  id: number;
  target: { namespace: string; type: string; id: string };
  argument: { typename: string; value: unknown; encoding?: string; truncated?: boolean; size?: number };
}

describe("dead letters through the admin API (real SQLite store, real HTTP)", () => {
  let dir: string;
  let server: RunningServer;
  const url = (name: "admin" | "ingress", path: string) => `http://127.0.0.1:${server.ports[name]}${path}`;
  const list = async () => {
    const answer = await fetch(url("admin", "/v1/deadletters"));
    expect(answer.status).toBe(200);
    return (await answer.json()) as Listed[];
  };
  const sendGreet = (id: string, body: string) =>
    fetch(url("ingress", `/example/greeter/${id}`), {
      method: "PUT",
      headers: { "content-type": "application/vnd.example/GreetRequest" },
      body,
    });
  async function letters(count: number): Promise<Listed[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const listed = await list();
      if (listed.length >= count) return listed;
      if (Date.now() > deadline) throw new Error(`fewer than ${count} dead letters within 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-deadletters-"));
    server = await startServer({ modules: [fixture], dataDir: dir, ports: { admin: 0, ingress: 0, egress: 0 }, logger: silentLogger });
  });
  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists a dead letter of deeply nested JSON (as base64), and deletes dead letters one by one and by target type", async () => {
    const nested = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    expect((await sendGreet("deep", nested)).status).toBe(202);
    expect((await sendGreet("small", '{"nome":1}')).status).toBe(202);
    const listed = await letters(2);
    const deep = listed.find((l) => l.target.id === "deep");
    expect(deep?.argument).toMatchObject({ typename: "example/GreetRequest", encoding: "base64", truncated: true, size: 200_000 });
    const small = listed.find((l) => l.target.id === "small");
    expect(small?.argument).toEqual({ typename: "example/GreetRequest", value: { nome: 1 } });

    const removed = await fetch(url("admin", `/v1/deadletters/${deep?.id}`), { method: "DELETE" });
    expect(removed.status).toBe(200);
    expect(await removed.json()).toEqual({ id: deep?.id, deleted: true });
    const again = await fetch(url("admin", `/v1/deadletters/${deep?.id}`), { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: "STATEFUN_NOT_FOUND" });

    for (const id of ["a", "b"]) expect((await sendGreet(id, "not json")).status).toBe(202);
    await letters(3);
    const noType = await fetch(url("admin", "/v1/deadletters"), { method: "DELETE" });
    expect(noType.status).toBe(400);
    const other = await fetch(url("admin", "/v1/deadletters?type=example/other"), { method: "DELETE" });
    expect(await other.json()).toEqual({ type: "example/other", deleted: 0 });
    const bulk = await fetch(url("admin", "/v1/deadletters?type=example/greeter"), { method: "DELETE" });
    expect(bulk.status).toBe(200);
    expect(await bulk.json()).toEqual({ type: "example/greeter", deleted: 3 });
    expect(await list()).toEqual([]);
  });
});
