/**
 * A travel agency in three functions, written only with the typed API:
 *
 * - `example/agency/{traveler}` answers `BookTrip`: it asks the city's hotel for a room, then
 *   the city's airline for a seat, each with a timeout, and answers the traveler later with
 *   the outcome (booked, or failed with the reason);
 * - `example/hotel/{city}` answers `ReserveRoom` at once, numbering rooms;
 * - `example/airline/{city}` answers `ReserveSeat` at once while sales are open; while they are
 *   closed it keeps the requests (in a list state) and answers them when sales open again,
 *   by which time the agency may have given up: that late answer is ignored.
 */
import { type Context, listSpec, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";
import { BookTrip, Itinerary, ReserveRoom, ReserveSeat, Sales, type TripOutcome, TripRequest, trips } from "./messages.js";

export * from "./messages.js";

/** How long the agency waits for each answer. */
export const ANSWER_TIMEOUT = "2s";

/** The last room number a hotel gave. */
export const lastRoom = valueSpec("lastRoom", Types.int);
export const hotel = statefulFunction({
  typename: "example/hotel",
  state: { lastRoom },
  messages: { reserve: ReserveRoom },
  handlers: {
    reserve(ctx) {
      const room = (ctx.state.lastRoom.get() ?? 100) + 1;
      ctx.state.lastRoom.set(room);
      return { room };
    },
  },
});

/** Sales closed (absent: open), seats given so far, and the requests waiting for sales to open. */
export const closed = valueSpec("closed", Types.bool);
export const seatsSold = valueSpec("seatsSold", Types.int);
export const waiting = listSpec("waiting", ReserveSeat.replyTo);
const airlineState = { closed, seatsSold, waiting };
export const airline = statefulFunction({
  typename: "example/airline",
  state: airlineState,
  messages: { reserve: ReserveSeat, sales: Sales },
  handlers: {
    reserve(ctx, _request, replyTo) {
      if (!ctx.state.closed.get()) return { seat: nextSeat(ctx) };
      ctx.state.waiting.append(replyTo); // answered when sales open
    },
    sales(ctx, { open }) {
      if (!open) return ctx.state.closed.set(true);
      ctx.state.closed.clear();
      for (const replyTo of ctx.state.waiting) ctx.answer(replyTo, { seat: nextSeat(ctx) });
      ctx.state.waiting.clear();
    },
  },
});

function nextSeat(ctx: Context<typeof airlineState>): string {
  const sold = (ctx.state.seatsSold.get() ?? 0) + 1;
  ctx.state.seatsSold.set(sold);
  return `${Math.ceil(sold / 6)}${"ABCDEF"[(sold - 1) % 6]}`;
}

/** The traveler waiting for the answer to its `BookTrip`. */
export const customer = valueSpec("customer", BookTrip.replyTo);
const agencyState = { customer };
const agencyAsks = { room: { call: ReserveRoom, context: TripRequest }, seat: { call: ReserveSeat, context: Itinerary } };
export const agency = statefulFunction({
  typename: "example/agency",
  state: agencyState,
  messages: { book: BookTrip },
  asks: agencyAsks,
  handlers: {
    book(ctx, trip, replyTo) {
      if (ctx.state.customer.get()) return { status: "FAILED", detail: "another booking is under way" };
      ctx.state.customer.set(replyTo);
      ctx.ask("room", hotel.at(trip.city), { nights: trip.nights }, { timeout: ANSWER_TIMEOUT, context: trip });
    },
  },
  replies: {
    room(ctx, answer, trip) {
      if (!answer.ok) return finish(ctx, { status: "FAILED", detail: `no room: ${answer.error.message}` });
      const itinerary = { ...trip, room: answer.value.room };
      ctx.ask("seat", airline.at(trip.city), { traveler: trip.traveler }, { timeout: ANSWER_TIMEOUT, context: itinerary });
    },
    seat(ctx, answer, { city, room }) {
      if (!answer.ok) return finish(ctx, { status: "FAILED", detail: `no seat: ${answer.error.message}` });
      finish(ctx, { status: "BOOKED", detail: `${city}: room ${room}, seat ${answer.value.seat}` });
    },
  },
});

/** Answers the waiting traveler and records the outcome. */
function finish(ctx: Context<typeof agencyState, typeof agencyAsks>, outcome: TripOutcome): void {
  const replyTo = ctx.state.customer.get();
  if (replyTo) ctx.answer(replyTo, outcome);
  ctx.state.customer.clear();
  ctx.egress(trips, outcome);
}

export default statefunModule({ functions: [agency, hotel, airline], egresses: [trips] });
