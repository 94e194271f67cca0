import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { type Address, keyGroupOf, StatefunError } from "@statefun-ts/protocol";
import { INSTANCE_ROW, INSTANCE_ROW_TYPE, type SnapshotRecord } from "@statefun-ts/runtime/spi";
import { isStatefulFunction } from "@statefun-ts/sdk";
import type { StoreTarget } from "../cli/args.js";
import { loadModule } from "../modules/load.js";
import { embeddedStates, type FunctionStates, remoteStates } from "./state-types.js";
import { targetStore } from "./stores.js";

export interface StateImportArgs {
  readonly store: StoreTarget;
  /** JSON lines: `{"address": "ns/type/id", "state": {"name": value}}`. */
  readonly file: string;
  /** Module files whose embedded functions declare the states (remote functions' states come from the store). */
  readonly modules: readonly string[];
  /** The clock of expiring states (default `Date.now()`). */
  readonly now?: number | undefined;
}

export interface StateImportResult {
  readonly instances: number;
  readonly values: number;
}

/** Errors reported at most, so a file that is wrong throughout still gets a short answer. */
const MAX_ERRORS = 20;

function bad(message: string): StatefunError {
  return new StatefunError("STATEFUN_BAD_CONFIG", message);
}

function parseAddress(text: unknown): Address | string {
  if (typeof text !== "string") return `"address" must be a string namespace/type/id, got ${JSON.stringify(text)}`;
  const first = text.indexOf("/");
  const second = first < 0 ? -1 : text.indexOf("/", first + 1);
  if (first <= 0 || second <= first + 1 || second === text.length - 1)
    return `"address" must be namespace/type/id, got ${JSON.stringify(text)}`;
  return { namespace: text.slice(0, first), type: text.slice(first + 1, second), id: text.slice(second + 1) };
}

/** The state records of one line, or what is wrong with it. */
function lineRecords(
  line: string,
  ctx: { functions: ReadonlyMap<string, FunctionStates>; keyGroups: number; now: number },
): SnapshotRecord[] | string[] {
  let json: { address?: unknown; state?: unknown };
  try {
    json = JSON.parse(line);
  } catch (cause) {
    return [`not JSON (${(cause as Error).message})`];
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return ['expected an object {"address": …, "state": {…}}'];
  const address = parseAddress(json.address);
  if (typeof address === "string") return [address];
  const functionType = `${address.namespace}/${address.type}`;
  const fn = ctx.functions.get(functionType);
  if (fn === undefined) {
    return [
      `no function ${functionType} declares state (give its module file, or start the remote function once so it registers its states)`,
    ];
  }
  if (typeof json.state !== "object" || json.state === null || Array.isArray(json.state))
    return ['"state" must be an object {"name": value}'];
  const keyGroup = keyGroupOf(address.id, ctx.keyGroups);
  const errors: string[] = [];
  const records: SnapshotRecord[] = [];
  for (const [name, value] of Object.entries(json.state)) {
    const encoder = fn.states.get(name);
    if (encoder === undefined) {
      const why = fn.unsupported.get(name);
      errors.push(
        why === undefined
          ? `${functionType} has no state "${name}" (it declares: ${[...fn.states.keys()].join(", ") || "none"})`
          : `state "${name}" is ${why}`,
      );
      continue;
    }
    try {
      const bytes = encoder.encode(value);
      const expiresAt = encoder.expiresAfterMs === undefined ? undefined : ctx.now + encoder.expiresAfterMs;
      records.push({
        kind: "state",
        address,
        keyGroup,
        name,
        value: { typename: encoder.typename, value: bytes },
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
    } catch (error) {
      errors.push(`state "${name}" (${encoder.typename}): ${(error as Error).message}`);
    }
  }
  if (errors.length > 0) return errors;
  if (fn.instanceTtlMs !== undefined && records.length > 0) {
    const value = { typename: INSTANCE_ROW_TYPE, value: new Uint8Array(0) };
    records.push({ kind: "state", address, keyGroup, name: INSTANCE_ROW, value, expiresAt: ctx.now + fn.instanceTtlMs });
  }
  return records;
}

async function* fileLines(file: string): AsyncGenerator<{ line: string; number: number }> {
  const input = createReadStream(file);
  const ready = new Promise<void>((resolve, reject) => {
    input.once("open", () => resolve());
    input.once("error", (cause) => reject(bad(`cannot read ${file}: ${cause.message}`)));
  });
  await ready;
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() !== "") yield { line, number };
  }
}

/**
 * `statefun state import`: seeds state from JSON lines, each value encoded with the type its
 * function declares (embedded modules' specs, or the states remote functions registered in the
 * store). The whole file is checked first; any value that does not fit is reported with its line
 * and nothing is written. Then every value is written in one transaction (over existing values).
 */
export async function importState(args: StateImportArgs): Promise<StateImportResult> {
  const functions = new Map<string, FunctionStates>();
  const { store } = targetStore(args.store);
  const { keyGroups } = await store.open();
  try {
    for (const [type, specs] of await store.loadStateSpecs()) functions.set(type, remoteStates(specs));
    for (const file of args.modules) {
      const module = await loadModule(file);
      if (!("functions" in module)) continue;
      for (const fn of module.functions) {
        if (isStatefulFunction(fn)) functions.set(`${fn.namespace}/${fn.name}`, embeddedStates(fn));
      }
    }
    const ctx = { functions, keyGroups, now: args.now ?? Date.now() };
    const errors: string[] = [];
    let instances = 0;
    let values = 0;
    for await (const { line, number } of fileLines(args.file)) {
      const result = lineRecords(line, ctx);
      if (typeof result[0] === "string") {
        for (const e of result as string[]) if (errors.length < MAX_ERRORS) errors.push(`${args.file} line ${number}: ${e}`);
        continue;
      }
      instances++;
      values += result.filter((r) => typeof r !== "string" && r.kind === "state" && r.name !== INSTANCE_ROW).length;
    }
    if (errors.length > 0) throw bad(`nothing was imported; fix these lines:\n  ${errors.join("\n  ")}`);
    async function* records(): AsyncGenerator<SnapshotRecord> {
      for await (const { line } of fileLines(args.file)) yield* lineRecords(line, ctx) as SnapshotRecord[];
    }
    await store.loadSnapshot(records(), { merge: true });
    return { instances, values };
  } finally {
    await store.close();
  }
}
