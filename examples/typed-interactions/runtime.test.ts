import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RemoteBinding, remoteBinding } from "@statefun-ts/remote";
import { ManualClock, Runtime } from "@statefun-ts/runtime";
import { type StatefulFunction, statefunModule, type Type } from "@statefun-ts/sdk";
import { type RunningServer, serve } from "@statefun-ts/sdk/node";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import travel, { agency, airline, BookTrip, hotel, Sales, type TripOutcome, trips } from "./module.js";

const open: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const part of open.splice(0).reverse()) await part.stop();
});

/**
 * A runtime on a SQLite file; `remote` functions are served over HTTP on loopback by `serve()`, the others embedded.
 * Its clock moves only on `clock.advance`, so the asks' timeouts fall due when the test says, not 2 s later.
 */
async function start(remote: StatefulFunction[]) {
  const dir = await mkdtemp(join(tmpdir(), "statefun-typed-"));
  open.push({ stop: () => rm(dir, { recursive: true, force: true }) });
  const server: RunningServer | undefined = remote.length > 0 ? await serve(remote, { port: 0 }) : undefined;
  if (server) open.push({ stop: () => server.close() });
  const embedded = travel.functions.filter((fn) => !remote.includes(fn));
  const clock = new ManualClock();
  const runtime = new Runtime({
    store: new SqliteStore({ dir }),
    clock,
    modules: [statefunModule({ functions: embedded, egresses: [trips] })],
  });
  await runtime.start();
  const bindings: RemoteBinding[] = remote.map((fn) =>
    remoteBinding({ functions: fn.typename, urlPathTemplate: `${server?.url}{function.name}` }, { specs: runtime.stateSpecs }),
  );
  open.push({ stop: () => Promise.all(bindings.map((b) => b.close())) });
  open.push(runtime); // stopped first
  for (const binding of bindings) runtime.bind(binding);
  const send = <T>(to: { namespace: string; type: string; id: string }, type: Type<T>, value: T, awaitReply = false) =>
    runtime.ingest({ target: to, argument: { typename: type.typename, value: type.serialize(value) }, awaitReply });
  const book = async (who: string, city: string): Promise<TripOutcome | undefined> => {
    const receipt = await send(agency.at(who), BookTrip, { traveler: who, city, nights: 1 }, true);
    const reply = await receipt.reply?.(10_000);
    return reply && BookTrip.reply.deserialize(reply.value);
  };
  return { runtime, clock, send, book };
}

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await check()); i++) {
    if (i > 1000) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each([
  ["all embedded", []],
  ["agency and hotel served remotely (sdk/node)", [agency, hotel]],
])("typed interactions on the runtime with SQLite: %s", (_name, remote: StatefulFunction[]) => {
  it("answers a booking, times out on a closed airline, and ignores the late answer", async () => {
    const { runtime, clock, send, book } = await start(remote);
    expect(await book("ann", "Oslo")).toEqual({ status: "BOOKED", detail: "Oslo: room 101, seat 1A" });

    await send(airline.at("Rome"), Sales, { open: false });
    const booking = book("bob", "Rome");
    // The airline keeps the request: the agency's ask has been committed with its timeout, which is now due.
    await until(async () => (await runtime.readState(airline.at("Rome"))).some((s) => s.name.startsWith("waiting[")));
    clock.advance(2000);
    const failed = await booking;
    expect(failed?.status).toBe("FAILED");
    expect(failed?.detail).toMatch(/no answer from example\/airline\/Rome to ask seat within 2000 ms/);

    await send(airline.at("Rome"), Sales, { open: true });
    await until(async () => (await runtime.readState(airline.at("Rome"))).every((s) => !s.name.startsWith("waiting[")));
    await until(async () => (await runtime.storeStats()).messages === 0);
    expect(await runtime.deadLetters(10)).toEqual([]);
    expect(await runtime.readState(agency.at("bob"))).toEqual([]); // no pending ask, no waiting customer
    const seats = (await runtime.readState(airline.at("Rome"))).find((s) => s.name === "seatsSold");
    expect(seats?.value).toBeDefined(); // the late answer was sent, and ignored by the agency
  });
});
