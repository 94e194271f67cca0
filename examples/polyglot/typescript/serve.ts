/**
 * Serves `shop/checkout` (functions.ts) over StateFun's remote protocol with `serve()`.
 *
 *   node --import tsx examples/polyglot/typescript/serve.ts --port 8000   # POST http://127.0.0.1:8000/<any path>
 *   node --import tsx examples/polyglot/typescript/serve.ts --port 0      # any free port
 *
 * Prints `listening on http://HOST:PORT` once it accepts connections (the port actually
 * bound, so a caller passing 0 learns it); stops on SIGINT and SIGTERM.
 */
import { parseArgs } from "node:util";
import { serve } from "@statefun-ts/sdk/node";
import shop from "./functions.js";

const { values } = parseArgs({
  options: { host: { type: "string", default: "127.0.0.1" }, port: { type: "string", default: "8000" } },
});
const server = await serve(shop, { host: values.host, port: Number(values.port) });
console.log(`listening on ${server.url.replace(/\/$/, "")}`);

const stop = () => {
  setTimeout(() => process.exit(0), 2000).unref(); // connections the runtime keeps open must not hold us up
  void server.close().finally(() => process.exit(0));
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
