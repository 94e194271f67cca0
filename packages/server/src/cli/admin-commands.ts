import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { MODULE_NAME } from "../dynamic/live-modules.js";
import { parseUrl } from "./args.js";
import { type CliActions, DEFAULT_ADMIN_URL } from "./program.js";

/** `namespace/name` or `namespace/*`, encoded for a path. */
function parseFunctionName(text: string): string {
  const slash = text.lastIndexOf("/");
  if (slash <= 0 || slash === text.length - 1) throw new InvalidArgumentError("expected namespace/name or namespace/*, e.g. example/*.");
  return `${encodeURIComponent(text.slice(0, slash))}/${text.slice(slash + 1) === "*" ? "*" : encodeURIComponent(text.slice(slash + 1))}`;
}

function parseModuleName(text: string): string {
  if (!MODULE_NAME.test(text)) {
    throw new InvalidArgumentError('expected letters, digits, "_", "-" and ".", starting with a letter or digit.');
  }
  return text;
}

function parsePositive(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

/** `statefun functions list|get|put|delete` and `statefun modules list|get|put|delete`: the admin API's dynamic loading. */
export function adminCommands(program: Command, actions: CliActions): void {
  const group = (name: string, description: string) => {
    const cmd = program.command(name).description(description);
    const sub = (verb: string, what: string) =>
      cmd
        .command(verb)
        .description(what)
        .option("--admin <url>", "admin API base URL (token: env STATEFUN_ADMIN_TOKEN)", parseUrl, DEFAULT_ADMIN_URL);
    return sub;
  };

  const fns = group("functions", "list, bind, rebind or unbind function types on a running worker");
  fns("list", "list the bound function types, where each comes from, and parked messages").action(async (opts) => {
    await actions.admin({ admin: opts.admin, method: "GET", path: "/v1/functions" });
  });
  fns("get", "print a function binding loaded through the admin API")
    .argument("<function>", "namespace/name or namespace/*", parseFunctionName)
    .action(async (name: string, opts) => actions.admin({ admin: opts.admin, method: "GET", path: `/v1/functions/${name}` }));
  fns("put", "bind a function type (or namespace/*) to a remote endpoint; parked messages are delivered")
    .argument("<function>", "namespace/name or namespace/*", parseFunctionName)
    .argument("<url>", "endpoint URL template, e.g. http://127.0.0.1:8000/{function.name}")
    .option("--max-batch <n>", "most messages of one address per request", parsePositive)
    .action(async (name: string, url: string, opts) => {
      const binding = { kind: "remote", url, ...(opts.maxBatch === undefined ? {} : { maxNumBatchRequests: opts.maxBatch }) };
      await actions.admin({
        admin: opts.admin,
        method: "PUT",
        path: `/v1/functions/${name}`,
        body: { text: JSON.stringify(binding) },
        contentType: "application/json",
      });
    });
  fns("delete", "unbind a function type (or namespace/*): its new messages park")
    .argument("<function>", "namespace/name or namespace/*", parseFunctionName)
    .action(async (name: string, opts) => actions.admin({ admin: opts.admin, method: "DELETE", path: `/v1/functions/${name}` }));

  const mods = group("modules", "list, load, replace or unload modules on a running worker");
  mods("list", "list the modules loaded through the admin API").action(async (opts) => {
    await actions.admin({ admin: opts.admin, method: "GET", path: "/v1/modules" });
  });
  mods("get", "print a module's YAML")
    .argument("<name>", "module name", parseModuleName)
    .action(async (name: string, opts) => actions.admin({ admin: opts.admin, method: "GET", path: `/v1/modules/${name}` }));
  mods("put", "load or replace a module from a module YAML file (- for stdin), atomically")
    .argument("<name>", "module name", parseModuleName)
    .argument("<file>", "module YAML file, or - for stdin")
    .action(async (name: string, file: string, opts) => {
      await actions.admin({
        admin: opts.admin,
        method: "PUT",
        path: `/v1/modules/${name}`,
        body: { file },
        contentType: "application/yaml",
      });
    });
  mods("delete", "unload a module: its function types park their new messages")
    .argument("<name>", "module name", parseModuleName)
    .action(async (name: string, opts) => actions.admin({ admin: opts.admin, method: "DELETE", path: `/v1/modules/${name}` }));
}
