/**
 * Kafka kinds loaded on a running worker through the admin API (`PUT /v1/modules/{name}`): records
 * flow at once; `DELETE` unloads the module and stops its consumer and producer (records produced
 * afterwards stay in Kafka until the module is loaded again, then flow from the stored position,
 * exactly once).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { silentLogger } from "@statefun-ts/runtime";
import { type RunningServer, startServer } from "@statefun-ts/server";
import { afterAll, describe, expect, it } from "vitest";
import { consumeAll, createTopic, produce, testBrokers, unique } from "./kafka.js";
import { kafkaModuleYaml } from "./module-yaml.js";

const dir = mkdtempSync(join(tmpdir(), "statefun-kafka-admin-"));
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Kafka modules through the admin API", () => {
  it("loads with PUT /v1/modules/{name}, unloads with DELETE, and resumes from the stored position when loaded again", async () => {
    const brokers = testBrokers();
    const input = unique("in");
    const output = unique("out");
    await createTopic(input, 2);
    await createTopic(output, 1);
    server = await startServer({ dataDir: join(dir, "data"), ports: { admin: 0, ingress: 0, egress: 0 }, logger: silentLogger });
    const admin = (method: string, path: string, body?: string) =>
      fetch(`http://127.0.0.1:${server!.ports.admin}${path}`, { method, body });
    const yaml = kafkaModuleYaml({ brokers, input, group: unique("g"), semantic: "exactly-once" });
    const waitReady = async () => {
      for (let i = 0; (await admin("GET", "/readyz")).status !== 200; i++) {
        if (i > 600) throw new Error(`not ready: ${await (await admin("GET", "/readyz")).text()}`);
        await sleep(100);
      }
    };

    expect((await admin("PUT", "/v1/modules/kafka-io", yaml)).status).toBe(200);
    await waitReady();
    await produce(input, [
      { key: "ann", value: output },
      { key: "bob", value: output },
    ]);
    expect((await consumeAll(output, { until: (r) => r.length >= 2 })).sort()).toEqual(["ann=ann:1", "bob=bob:1"]);

    expect((await admin("DELETE", "/v1/modules/kafka-io")).status).toBe(200);
    expect((await admin("GET", "/readyz")).status).toBe(200);
    await produce(input, [{ key: "ann", value: output }]);
    await sleep(2_000);
    expect(await consumeAll(output, { until: () => false, timeoutMs: 1_000 })).toHaveLength(2);

    expect((await admin("PUT", "/v1/modules/kafka-io", yaml)).status).toBe(200);
    await waitReady();
    expect((await consumeAll(output, { until: (r) => r.length >= 3 })).sort()).toEqual(["ann=ann:1", "ann=ann:2", "bob=bob:1"]);
  }, 120_000);
});
