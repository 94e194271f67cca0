import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FunctionServer, writeModuleFor } from "../function-server.js";
import type { RemoteSdk } from "../remote-sdk.js";

export const GO_DIR = fileURLToPath(new URL("./", import.meta.url));
export const GO_FUNCTIONS = fileURLToPath(new URL("../../../.cache/interop/go/functions", import.meta.url));
export const SETUP_COMMAND = "bash scripts/interop/setup-go.sh";
/** The module file: as in the StateFun playground, its endpoints point at http://127.0.0.1:8000. */
export const MODULE_TEMPLATE = join(GO_DIR, "module.yaml");

/** Throws (never skips) when the server is not built, or is older than its sources, saying how to build it. */
export function requireGoFunctions(): string {
  if (!existsSync(GO_FUNCTIONS)) {
    throw new Error(
      `The Go interop function server is missing (${GO_FUNCTIONS}). Build it with \`${SETUP_COMMAND}\` ` +
        "(npm test runs it first; it needs Go or access to the Go module proxy).",
    );
  }
  const built = statSync(GO_FUNCTIONS).mtimeMs;
  const newer = readdirSync(GO_DIR).filter((f) => /\.go$|^go\.(mod|sum)$/.test(f) && statSync(join(GO_DIR, f)).mtimeMs > built);
  if (newer.length > 0) {
    throw new Error(
      `The Go interop function server is older than test/interop/go/${newer.join(", ")}: rebuild it with \`${SETUP_COMMAND}\`.`,
    );
  }
  return GO_FUNCTIONS;
}

/** The Go side of the shared interop suites (test/interop/remote-sdk.ts). */
export const go: RemoteSdk = {
  language: "Go",
  sdk: "statefun-sdk-go/v3 v3.3.0",
  expireAfterCall: "ExpireAfterCall",
  require: () => {
    requireGoFunctions();
  },
  start: (logFile) =>
    FunctionServer.start({ name: "Go", command: requireGoFunctions(), args: ["-host", "127.0.0.1", "-port", "0"] }, logFile),
  writeModule: (dir, server) => writeModuleFor(MODULE_TEMPLATE, dir, server),
};
