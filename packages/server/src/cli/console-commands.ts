import type { Address } from "@statefun-ts/protocol";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { parseAddress, parseTypename, parseUrl } from "./args.js";
import { type CliActions, DEFAULT_ADMIN_URL } from "./program.js";

const path = (a: Address) => [a.namespace, a.type, a.id].map(encodeURIComponent).join("/");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError('expected JSON, e.g. 41, "text" or {"name":"Bob"}.');
  }
}

function parseId(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError("expected a dead letter id (a whole number).");
  return n;
}

/**
 * The console's actions on the command line: `statefun state-set|state-delete` (a state edit,
 * applied in the instance's order), `statefun deadletters list|replay`, `statefun parked`,
 * `statefun cluster`, `statefun stats`.
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

  const letters = program.command("deadletters").description("list or replay dead letters");
  adminOption(letters.command("list").description("list dead letters with reason and attempts"))
    .option("--limit <n>", "at most this many", "100")
    .action(async (opts) =>
      actions.admin({ admin: opts.admin, method: "GET", path: `/v1/deadletters?limit=${encodeURIComponent(opts.limit)}` }),
    );
  adminOption(
    letters
      .command("replay")
      .description("put dead letters back into their target's inbox")
      .argument("<id...>", "dead letter ids", (text, prev: number[] = []) => [...prev, parseId(text)]),
  ).action(async (ids: number[], opts) => {
    for (const id of ids) await actions.admin({ admin: opts.admin, method: "POST", path: `/v1/deadletters/${id}/replay` });
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
}
