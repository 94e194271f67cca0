/**
 * Faults and bad input with a worker in this process and a broker of this test's own: the broker
 * unreachable at start (the worker starts, `/readyz` names the ingress that is not ready, records
 * flow once the broker comes), records with no key and values that do not decode as their
 * `valueType` (dead-lettered with the reason), and the broker stopped and restarted mid-stream
 * (no record lost, none twice).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { silentLogger } from "@statefun-ts/runtime";
import { parseModuleYaml, type RunningServer, startServer } from "@statefun-ts/server";
import { afterAll, describe, expect, it } from "vitest";
import { BROKER_SCRIPT } from "../setup/kafka.js";
import { consumeAll, createTopic, produce, unique } from "./kafka.js";
import { COUNTER } from "./module-yaml.js";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-faults-"));
const brokerDir = join(dir, "broker");
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  await run("bash", [BROKER_SCRIPT, "stop", brokerDir]).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

const freePort = async () =>
  Number(
    (
      await run(process.execPath, [
        "-e",
        'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})',
      ])
    ).stdout,
  );

async function readyz(admin: number): Promise<{ status: number; body: { status: string; problems?: string[] } }> {
  const response = await fetch(`http://127.0.0.1:${admin}/readyz`);
  return { status: response.status, body: (await response.json()) as { status: string; problems?: string[] } };
}

describe("Kafka faults and bad input", () => {
  it("starts without its broker, says which ingress is not ready, dead-letters bad records, survives a broker restart", async () => {
    const port = await freePort();
    const brokers = `127.0.0.1:${port}`;
    const input = unique("in");
    const ints = unique("ints");
    const output = unique("out");
    const yaml = `kind: io.statefun-ts.v1/module
spec:
  path: ${COUNTER}
---
kind: io.statefun.kafka.v1/ingress
spec:
  id: kafka-test/in
  address: ${brokers}
  consumerGroupId: ${unique("g")}
  startupPosition:
    type: earliest
  topics:
    - topic: ${input}
      valueType: kafka-test/text
      targets:
        - kafka-test/counter
    - topic: ${ints}
      valueType: io.statefun.types/int
      targets:
        - kafka-test/counter
---
kind: io.statefun.kafka.v1/egress
spec:
  id: kafka-test/out
  address: ${brokers}
  deliverySemantic:
    type: exactly-once
`;
    server = await startServer({
      modules: [await parseModuleYaml(yaml, "faults.yaml")],
      dataDir: join(dir, "data"),
      ports: { admin: 0, ingress: 0, egress: 0 },
      logger: silentLogger,
    });
    const admin = server.ports.admin;
    // No broker yet: the worker runs, and /readyz says which ingress waits for what.
    const before = await readyz(admin);
    expect(before.status).toBe(503);
    expect(before.body.problems?.join("\n")).toMatch(/Kafka ingress kafka-test\/in: /);

    expect((await run("bash", [BROKER_SCRIPT, "start", brokerDir, String(port)], { timeout: 120_000 })).stdout.trim()).toBe(brokers);
    await createTopic(input, 2, brokers);
    await createTopic(ints, 1, brokers);
    await createTopic(output, 1, brokers);
    for (let i = 0; (await readyz(admin)).status !== 200; i++) {
      if (i > 600) throw new Error(`never ready: ${JSON.stringify((await readyz(admin)).body)}`);
      await sleep(100);
    }

    await produce(input, [{ key: null, value: output }], brokers);
    await produce(ints, [{ key: "bob", value: "xyz" }], brokers);
    for (let i = 0; (await server.runtime.deadLetters(10)).length < 2; i++) {
      if (i > 300) throw new Error("the bad records were not dead-lettered");
      await sleep(100);
    }
    const letters = (await server.runtime.deadLetters(10)).map((d) => d.error).sort();
    expect(letters[0]).toMatch(new RegExp(`^Kafka ingress kafka-test/in: record ${input}/\\d+@0: the record has no key`));
    expect(letters[1]).toMatch(new RegExp(`^Kafka ingress kafka-test/in: record ${ints}/0@0: invalid io\\.statefun\\.types/int bytes`));

    // The broker goes away mid-stream and comes back on the same port and data: nothing lost, nothing twice.
    const batch = (from: number) => Array.from({ length: 100 }, (_, i) => ({ key: `k${(from + i) % 10}`, value: output }));
    await produce(input, batch(0), brokers);
    await run("bash", [BROKER_SCRIPT, "stop", brokerDir], { timeout: 60_000 });
    await sleep(1_000);
    await run("bash", [BROKER_SCRIPT, "start", brokerDir, String(port)], { timeout: 120_000 });
    await produce(input, batch(100), brokers);
    const seen = await consumeAll(output, { until: (r) => r.length >= 200, timeoutMs: 90_000, brokers });
    const expected = Array.from({ length: 10 }, (_, k) => Array.from({ length: 20 }, (_, n) => `k${k}=k${k}:${n + 1}`)).flat();
    expect(seen.sort()).toEqual(expected.sort());
  }, 240_000);
});
