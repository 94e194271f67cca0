/** The messages of the travel agency: three calls (a request type and its answer type each) and a plain message. */
import { callType, egressRef, jsonType } from "@statefun-ts/sdk";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === "string" && v !== "";
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

export type TripRequest = { traveler: string; city: string; nights: number };
export type TripOutcome = { status: "BOOKED" | "FAILED"; detail: string };
export type RoomRequest = { nights: number };
export type Room = { room: number };
export type SeatRequest = { traveler: string };
export type Seat = { seat: string };
export type Sales = { open: boolean };
/** What the agency keeps while it waits for the airline: the trip and the room it got. */
export type Itinerary = TripRequest & Room;

export const TripRequest = jsonType<TripRequest>("example/TripRequest", {
  schema: (v): v is TripRequest => isObject(v) && isText(v.traveler) && isText(v.city) && isCount(v.nights),
});
export const TripOutcome = jsonType<TripOutcome>("example/TripOutcome", {
  schema: (v): v is TripOutcome => isObject(v) && (v.status === "BOOKED" || v.status === "FAILED") && typeof v.detail === "string",
});
export const RoomRequest = jsonType<RoomRequest>("example/RoomRequest", {
  schema: (v): v is RoomRequest => isObject(v) && isCount(v.nights),
});
export const Room = jsonType<Room>("example/Room", { schema: (v): v is Room => isObject(v) && isCount(v.room) });
export const SeatRequest = jsonType<SeatRequest>("example/SeatRequest", {
  schema: (v): v is SeatRequest => isObject(v) && isText(v.traveler),
});
export const Seat = jsonType<Seat>("example/Seat", { schema: (v): v is Seat => isObject(v) && isText(v.seat) });
export const Sales = jsonType<Sales>("example/Sales", { schema: (v): v is Sales => isObject(v) && typeof v.open === "boolean" });
export const Itinerary = jsonType<Itinerary>("example/Itinerary", {
  schema: (v): v is Itinerary => isObject(v) && isText(v.traveler) && isText(v.city) && isCount(v.nights) && isCount(v.room),
});

/** Book a trip: answered with its outcome (to `?await=5s` HTTP callers too). */
export const BookTrip = callType(TripRequest, TripOutcome);
/** Reserve a room for some nights. */
export const ReserveRoom = callType(RoomRequest, Room);
/** Reserve a seat on the next flight to the city. */
export const ReserveSeat = callType(SeatRequest, Seat);

/** Every outcome also leaves on the playground egress, topic `trips` (`curl localhost:8091/trips`). */
export const trips = egressRef("trips", TripOutcome);
