import type { Address } from "@statefun-ts/protocol";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { parseAddress, parseTypename, parseUrl } from "./args.js";
import { type CliActions, DEFAULT_ADMIN_URL } from "./program.js";
import { topCommand } from "./top.js";

const path = (a: Address) => [a.namespace, a.type, a.id].map(encodeURIComponent).join("/");

function parseSeconds(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 900) throw new InvalidArgumentError("expected whole seconds from 1 to 900.");
  return n;
}

/** `namespace/name`, each part encoded for a path. */
function parseFunctionType(text: string): string {
  const slash = text.indexOf("/");
  if (slash <= 0 || slash === text.length - 1 || text.indexOf("/", slash + 1) >= 0)
    throw new InvalidArgumentError("expected namespace/name.");
  return `${encodeURIComponent(text.slice(0, slash))}/${encodeURIComponent(text.slice(slash + 1))}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('expected JSON, e.g. 41, "text" or {"name":"Bob"}.');
  }
}

/**
 * The console's actions on the command line: `statefun state-set|state-delete` (a state edit,
 * applied in the instance's order), `statefun instances`, `statefun parked`,
 * `statefun cluster`, `statefun stats`, `statefun top`.
 */
export function consoleCommands(program: Command, actions: CliActions): void {
  const adminOption = (cmd: Command) =>
    cmd.option("--admin <url>", "admin API base URL (token: env STATEFUN_ADMIN_TOKEN)", parseUrl, DEFAULT_ADMIN_URL);

  adminOption(
    program
      .command("state-set")
      .description("set one state value of an instance, in the instance's order (as an invocation would)")
      .argument("<address>", "instance as namespace/type/id", parseAddress)
      .argument("<name>", "state name")
      .argument("<value>", "the value as JSON (as `statefun state` prints it)", parseJson)
      .requiredOption("--type <typename>", "the value's type, e.g. io.statefun.types/int", parseTypename)
      .option("--base64", "the value is a base64 string of the raw bytes"),
  ).action(async (address: Address, name: string, value: unknown, opts) => {
    const body = { typename: opts.type, value, ...(opts.base64 ? { encoding: "base64" } : {}) };
    await actions.admin({
      admin: opts.admin,
      method: "PUT",
      path: `/v1/state/${path(address)}/${encodeURIComponent(name)}`,
      body: { text: JSON.stringify(body) },
      contentType: "application/json",
    });
  });
  adminOption(
    program
      .command("state-delete")
      .description("delete one state value of an instance, in the instance's order")
      .argument("<address>", "instance as namespace/type/id", parseAddress)
      .argument("<name>", "state name"),
  ).action(async (address: Address, name: string, opts) => {
    await actions.admin({ admin: opts.admin, method: "DELETE", path: `/v1/state/${path(address)}/${encodeURIComponent(name)}` });
  });

  adminOption(
    program
      .command("instances")
      .description("list the instances of a function type that have state, a page at a time")
      .argument("<type>", "function type as namespace/name", parseFunctionType)
      .option("--after <id>", "start after this id (the `next` of the previous page)")
      .option("--limit <n>", "at most this many (1 to 1000)", "50"),
  ).action(async (type: string, opts) => {
    const query = new URLSearchParams({ limit: opts.limit, ...(opts.after === undefined ? {} : { after: opts.after }) });
    await actions.admin({ admin: opts.admin, method: "GET", path: `/v1/instances/${type}?${query}` });
  });
  adminOption(program.command("parked").description("messages parked for function types that are not loaded, by type")).action(
    async (opts) => actions.admin({ admin: opts.admin, method: "GET", path: "/v1/parked" }),
  );
  adminOption(program.command("cluster").description("this worker's name and the key groups it runs")).action(async (opts) =>
    actions.admin({ admin: opts.admin, method: "GET", path: "/v1/cluster" }),
  );
  adminOption(program.command("stats").description("the metrics history as JSON (one sample per second)"))
    .option("--window <seconds>", "how far back", "60")
    .action(async (opts) =>
      actions.admin({ admin: opts.admin, method: "GET", path: `/v1/stats?window=${encodeURIComponent(opts.window)}` }),
    );

  adminOption(
    program.command("top").description("live throughput, per-function rates, failures and backlog of a worker, refreshed in place"),
  )
    .option("--interval <seconds>", "refresh period", parseSeconds, 1)
    .option("--window <seconds>", "rates averaged over this many seconds", parseSeconds, 10)
    .option("--once", "print one screen and exit")
    .action(async (opts) => {
      await topCommand({ admin: opts.admin, intervalMs: opts.interval * 1000, windowSeconds: opts.window, once: opts.once === true });
    });
}
