#!/usr/bin/env node
// The `statefun` command. A committed launcher, so that npm links it at install time; it runs
// the built CLI (`npm install` builds it through `prepare`; otherwise `npm run build`).
// `statefun run` runs under the heap limit of its memory budget (`--memory`, default 512MiB):
// node is started again with `--max-old-space-size`, unless a limit is set by hand (see
// src/cli/memory.ts). The CLI itself (`dist/cli/main.js`, what tests start) never relaunches.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("statefun: the CLI is not built yet: run `npm run build` in the repository first");
  process.exit(2);
}
const { relaunchWithHeapLimit } = await import(new URL("../dist/cli/memory.js", import.meta.url).href);
const relaunched = relaunchWithHeapLimit();
if (relaunched !== undefined) process.exit(await relaunched);
await import(cli.href);
