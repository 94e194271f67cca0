#!/usr/bin/env node
import { CommanderError } from "commander";
import { adminCommand, CliError, callCommand, sendCommand, stateCommand } from "./client.js";
import { dieWithLauncher } from "./memory.js";
import { buildProgram } from "./program.js";
import { runCommand } from "./run.js";

dieWithLauncher();

const program = buildProgram({
  run: async (args) => {
    await runCommand(args);
  },
  send: (args) => sendCommand(args),
  call: (args) => callCommand(args),
  state: (args) => stateCommand(args),
  admin: (args) => adminCommand(args),
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed the message; help and version exit 0, bad arguments 2.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  const message = error instanceof Error ? error.message : String(error);
  console.error(`statefun: ${message}`);
  process.exit(error instanceof CliError ? error.exitCode : 1);
}
