import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FunctionServer, writeModuleFor } from "./function-server.js";
import type { RemoteSdk } from "./remote-sdk.js";

export const PYTHON_DIR = fileURLToPath(new URL("./python/", import.meta.url));
export const VENV_PYTHON = fileURLToPath(new URL("../../.cache/interop/python/bin/python", import.meta.url));
export const SETUP_COMMAND = "bash scripts/interop/setup-python.sh";
/** The module file: as in the StateFun playground, its endpoints point at http://127.0.0.1:8000. */
export const MODULE_TEMPLATE = join(PYTHON_DIR, "module.yaml");

/** Throws (never skips) when the venv is missing, saying how to build it. */
export function requirePythonVenv(): string {
  if (!existsSync(VENV_PYTHON)) {
    throw new Error(
      `The Python interop environment is missing (${VENV_PYTHON}). Build it with \`${SETUP_COMMAND}\` ` +
        "(npm test runs it first; it needs python3 >= 3.10 and access to PyPI).",
    );
  }
  return VENV_PYTHON;
}

/** The Python side of the shared interop suites (test/interop/remote-sdk.ts). */
export const python: RemoteSdk = {
  language: "Python",
  sdk: "apache-flink-statefun 3.3.0",
  expireAfterCall: "expire_after_call",
  require: () => {
    requirePythonVenv();
  },
  start: (logFile) =>
    FunctionServer.start(
      {
        name: "Python",
        command: requirePythonVenv(),
        args: ["serve.py", "--port", "0"],
        cwd: PYTHON_DIR,
        env: { PYTHONUNBUFFERED: "1", PYTHONDONTWRITEBYTECODE: "1" },
      },
      logFile,
    ),
  writeModule: (dir, server) => writeModuleFor(MODULE_TEMPLATE, dir, server),
};
