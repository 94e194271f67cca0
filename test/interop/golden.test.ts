/**
 * The golden bytes of packages/protocol/golden are what the official StateFun Python SDK
 * writes: make_golden.py, run again with the pinned SDK, gives the committed files exactly
 * (so nobody edits them by hand, and a new SDK pin shows up as a diff).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { PYTHON_DIR, requirePythonVenv } from "./python.js";

const COMMITTED = fileURLToPath(new URL("../../packages/protocol/golden/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "statefun-interop-golden-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

describe("packages/protocol/golden", () => {
  it("is exactly what make_golden.py writes with the StateFun Python SDK", () => {
    const python = requirePythonVenv();
    execFileSync(python, [join(PYTHON_DIR, "make_golden.py"), "--out", dir], {
      stdio: "pipe",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    expect(files(dir)).toEqual(files(COMMITTED));
    for (const file of files(dir)) {
      expect(readFileSync(join(dir, file)), `${file} differs: run make_golden.py (see its header) and review the diff`).toEqual(
        readFileSync(join(COMMITTED, file)),
      );
    }
  });
});
