import { StatefunError, type TypedValue } from "@statefun-ts/protocol";
import { describe, expect, it } from "vitest";
import { InvocationContext } from "../context.js";
import { emptyEffects } from "../effects.js";
import { message } from "../message.js";
import { type Observed, observeEffects, observeResponse, toFunctionBytes } from "./fixtures.js";
import { requestHandler } from "./handler.js";
import { type Scenario, scenarios } from "./scenarios.js";

/** As the runtime's embedded invoker does: one message at a time, each seeing the uncommitted writes before it. */
async function runEmbedded(s: Scenario): Promise<Observed> {
  const all = emptyEffects();
  const read = (name: string): TypedValue | undefined => (all.state.has(name) ? (all.state.get(name) ?? undefined) : s.state[name]);
  for (const { caller, argument } of s.invocations) {
    const accepts: string[] = s.fn.accepts.map((t: { typename: string }) => t.typename);
    if (!accepts.includes(argument.typename)) {
      throw new StatefunError(
        "STATEFUN_BAD_MESSAGE",
        `${s.fn.typename} does not accept messages of type ${argument.typename} (it accepts ${accepts.join(", ")})`,
      );
    }
    const ctx = new InvocationContext(s.target, caller, s.fn.stateSpecs, read);
    await s.fn.handler(ctx, message(argument));
    all.messages.push(...ctx.effects.messages);
    all.delayed.push(...ctx.effects.delayed);
    all.egress.push(...ctx.effects.egress);
    for (const [name, value] of ctx.effects.state) all.state.set(name, value);
  }
  return observeEffects(all);
}

async function runRemote(s: Scenario): Promise<Observed> {
  return observeResponse(await requestHandler(s.fn)(toFunctionBytes(s)));
}

async function settle(run: Promise<Observed>): Promise<{ ok: true; observed: Observed } | { ok: false; error: string }> {
  try {
    return { ok: true, observed: await run };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

describe("embedded and remote behave identically", () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const embedded = await settle(runEmbedded(scenario));
      const remote = await settle(runRemote(scenario));
      const { expected } = scenario;
      if ("error" in expected) {
        expect(embedded.ok, "embedded run fails").toBe(false);
        expect(remote.ok, "remote run fails").toBe(false);
        if (!embedded.ok) expect(embedded.error).toMatch(expected.error);
        if (!remote.ok) expect(remote.error).toMatch(expected.error);
        return;
      }
      if (!embedded.ok || !remote.ok) throw new Error(`unexpected failure: ${JSON.stringify([embedded, remote])}`);
      // Each expected part exactly (a state left out of `expected.state` must not be written).
      for (const key of Object.keys(expected) as (keyof Observed)[]) expect(embedded.observed[key], key).toEqual(expected[key]);
      expect(remote.observed).toEqual(embedded.observed);
    });
  }
});
