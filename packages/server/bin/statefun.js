#!/usr/bin/env node
// The `statefun` command. A committed launcher, so that npm links it at install time; it runs
// the built CLI (`npm install` builds it through `prepare`; otherwise `npm run build`).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("statefun: the CLI is not built yet: run `npm run build` in the repository first");
  process.exit(2);
}
await import(cli.href);
