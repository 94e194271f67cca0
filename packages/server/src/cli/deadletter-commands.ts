import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { parseUrl } from "./args.js";
import { type CliActions, DEFAULT_ADMIN_URL } from "./program.js";

function parseId(text: string): string {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new InvalidArgumentError("expected a dead letter id (a whole number).");
  return String(Number(text));
}

function parseCount(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError("expected a whole number from 1 to 1000.");
  return n;
}

function parseFunctionType(text: string): string {
  if (!/^[^/]+\/[^/]+$/.test(text)) throw new InvalidArgumentError("expected a function type namespace/name, e.g. example/greeter.");
  return text;
}

/** `statefun deadletters list|replay|delete|discard`: the admin API's dead-letter store. */
export function deadLetterCommands(program: Command, actions: CliActions): void {
  const cmd = program.command("deadletters").description("list, replay or delete dead letters on a running worker");
  const sub = (verb: string, what: string) =>
    cmd
      .command(verb)
      .description(what)
      .option("--admin <url>", "admin API base URL (token: env STATEFUN_ADMIN_TOKEN)", parseUrl, DEFAULT_ADMIN_URL);

  sub("list", "print dead letters, oldest first, as JSON")
    .option("--limit <n>", "at most this many (default 100)", parseCount)
    .option("--after <id>", "only those after this id (paging)", parseId)
    .action(async (opts) => {
      const query = new URLSearchParams();
      if (opts.limit !== undefined) query.set("limit", String(opts.limit));
      if (opts.after !== undefined) query.set("after", opts.after);
      const path = `/v1/deadletters${query.size === 0 ? "" : `?${query}`}`;
      await actions.admin({ admin: opts.admin, method: "GET", path });
    });
  sub("replay", "put a dead letter's message back into its target's inbox")
    .argument("<id>", "dead letter id", parseId)
    .action(async (id: string, opts) => actions.admin({ admin: opts.admin, method: "POST", path: `/v1/deadletters/${id}/replay` }));
  sub("delete", "delete one dead letter for good")
    .argument("<id>", "dead letter id", parseId)
    .action(async (id: string, opts) => actions.admin({ admin: opts.admin, method: "DELETE", path: `/v1/deadletters/${id}` }));
  sub("discard", "delete for good every dead letter sent to a function type")
    .requiredOption("--type <namespace/name>", "the target function type", parseFunctionType)
    .action(async (opts) => {
      await actions.admin({ admin: opts.admin, method: "DELETE", path: `/v1/deadletters?${new URLSearchParams({ type: opts.type })}` });
    });
}
