/**
 * A remote function server with our SDK, as a process: `greeter` serves the greeter example,
 * `counter TAG TYPE…` serves a counter (./counter.ts) for each type, tagged TAG. Prints
 * `listening on http://127.0.0.1:PORT` (a free port). Run with `node --import tsx`.
 */
import { statefunModule } from "@statefun-ts/sdk";
import { serve } from "@statefun-ts/sdk/node";
import greeter from "../../../examples/greeter/module.js";
import { counter } from "./counter.js";

const [which, tag = "", ...types] = process.argv.slice(2);
const functions = which === "greeter" ? greeter : statefunModule({ functions: types.map((t) => counter(t, tag)) });
const server = await serve(functions, { port: 0 });
console.log(`listening on http://127.0.0.1:${server.port}`);
