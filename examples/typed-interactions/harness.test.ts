import { address } from "@statefun-ts/sdk";
import { ASK_ANSWER } from "@statefun-ts/sdk/internal";
import { testHarness } from "@statefun-ts/testing";
import { describe, expect, it } from "vitest";
import travel, { agency, airline, BookTrip, customer, hotel, Sales, trips, waiting } from "./module.js";

const traveler = (id: string) => address("statefun.ingress/http", id);
const trip = (who: string, city = "Oslo") => ({ traveler: who, city, nights: 2 });

describe("typed interactions (in the test harness)", () => {
  it("books a trip: the agency asks the hotel, then the airline, and answers its caller", async () => {
    const h = testHarness(travel);
    const run = await h.send(agency.at("ann"), BookTrip, trip("ann"), { caller: traveler("r1") });
    expect(run.reply(BookTrip.reply)).toEqual({ status: "BOOKED", detail: "Oslo: room 101, seat 1A" });
    expect(run.invocations.map((i) => i.target.type)).toEqual(["agency", "hotel", "agency", "airline", "agency"]);
    expect(h.pending).toEqual([]); // both timeouts cancelled
    expect(h.state(agency.at("ann"), customer)).toBeUndefined();
    expect(h.egress(trips)).toEqual([{ status: "BOOKED", detail: "Oslo: room 101, seat 1A" }]);
  });

  it("times out when the airline does not answer, and ignores its late answer", async () => {
    const h = testHarness(travel);
    await h.send(airline.at("Rome"), Sales, { open: false });
    const asked = await h.send(agency.at("bob"), BookTrip, trip("bob", "Rome"), { caller: traveler("r2") });
    expect(asked.replies).toEqual([]);
    expect(h.state(airline.at("Rome"), waiting)).toHaveLength(1);

    const timedOut = await h.advance("2s");
    const outcome = timedOut.outbox[0]?.as(BookTrip.reply);
    expect(outcome?.status).toBe("FAILED");
    expect(outcome?.detail).toMatch(/^no seat: example\/agency: no answer from example\/airline\/Rome to ask seat within 2000 ms$/);

    const late = await h.send(airline.at("Rome"), Sales, { open: true });
    expect(late.invocations.map((i) => [i.target.type, i.typename, i.error])).toEqual([
      ["airline", Sales.typename, undefined],
      ["agency", ASK_ANSWER, undefined],
    ]);
    expect(late.outbox).toEqual([]);
    expect(h.egress(trips)).toHaveLength(1);
  });

  it("answers at once when a booking is already under way", async () => {
    const h = testHarness(travel);
    await h.send(airline.at("Rome"), Sales, { open: false });
    await h.send(agency.at("cy"), BookTrip, trip("cy", "Rome"), { caller: traveler("r3") });
    const second = await h.send(agency.at("cy"), BookTrip, trip("cy", "Rome"), { caller: traveler("r4") });
    expect(second.reply(BookTrip.reply)).toEqual({ status: "FAILED", detail: "another booking is under way" });
  });

  it("rejects a request that does not match its schema, naming the function and the type", async () => {
    const h = testHarness(hotel);
    const bytes = new TextEncoder().encode('{"nights":0}');
    await expect(h.sendRaw(hotel.at("Oslo"), { typename: "example/RoomRequest", value: bytes })).rejects.toThrow(
      /example\/hotel rejects a example\/RoomRequest message: JSON does not match the schema of example\/RoomRequest/,
    );
  });
});
