// The chain benchmark's counter, written with our SDK and served over StateFun's protocol.
//   node bench/functions/counter.mjs --ids 1000 --port 0
// Prints `listening on http://HOST:PORT` once it serves.

import { serve } from "../../packages/sdk/dist/node.js";
import { chainCounter } from "../workloads/counter.js";

const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const counter = chainCounter(option("ids", 1000));

const server = await serve(counter, { port: option("port", 0) });
console.log(`listening on ${server.url}`);
