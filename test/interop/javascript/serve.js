// Serves the functions of functions.js on 127.0.0.1 and prints `listening on http://127.0.0.1:PORT`
// (test/interop/function-server.ts waits for it): `node serve.js --port 0` picks a free port.
const http = require("node:http");
const { statefun } = require("./functions.js");

const flag = process.argv.indexOf("--port");
const port = flag === -1 ? 8000 : Number(process.argv[flag + 1]);
const server = http.createServer(statefun.handler());
server.listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
