import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FunctionServer, writeModuleFor } from "./function-server.js";
import type { RemoteSdk } from "./remote-sdk.js";

export const JAVASCRIPT_DIR = fileURLToPath(new URL("./javascript/", import.meta.url));
export const SETUP_COMMAND = "bash scripts/interop/setup-javascript.sh";
/** The module file: as in the StateFun playground, its endpoint points at http://127.0.0.1:8000. */
export const MODULE_TEMPLATE = join(JAVASCRIPT_DIR, "module.yaml");

/** Throws (never skips) when the SDK is not installed, saying how to install it. */
export function requireJavaScriptSdk(): void {
  const sdk = join(JAVASCRIPT_DIR, "node_modules", "apache-flink-statefun", "package.json");
  if (!existsSync(sdk)) {
    throw new Error(`The StateFun JavaScript SDK is missing (${sdk}). Install it with \`${SETUP_COMMAND}\` (npm test runs it first).`);
  }
}

/** The JavaScript side of the shared interop suites (test/interop/remote-sdk.ts). */
export const javascript: RemoteSdk = {
  language: "JavaScript",
  sdk: "apache-flink-statefun 3.3.0",
  expireAfterCall: "expireAfterCall",
  require: requireJavaScriptSdk,
  start: (logFile) =>
    FunctionServer.start(
      { name: "JavaScript", command: process.execPath, args: ["serve.js", "--port", "0"], cwd: JAVASCRIPT_DIR },
      logFile,
    ),
  writeModule: (dir, server) => writeModuleFor(MODULE_TEMPLATE, dir, server),
};
