/**
 * The server's cluster wiring in process, on the test run's PostgreSQL server: `startServer` with a
 * PostgreSQL store runs in cluster mode under the given worker name and shows it in
 * `GET /v1/cluster` and the metrics; a database that cannot be reached is named in the error.
 */
import { silentLogger } from "@statefun-ts/runtime";
import { startServer } from "@statefun-ts/server";
import { storeFromUrl } from "@statefun-ts/store-postgres";
import { afterAll, describe, expect, it } from "vitest";
import { dropSchema, testPostgresUrl, uniqueSchema } from "../setup/postgres-env.js";
import { KEY_GROUPS, withSchema } from "./cluster/workers.js";

const schema = uniqueSchema("e2e_server");
afterAll(() => dropSchema(schema));

describe("statefun server on PostgreSQL", () => {
  it("runs in cluster mode under its worker name, owning every key group alone", async () => {
    const server = await startServer({
      store: storeFromUrl(withSchema(testPostgresUrl(), schema)),
      owner: "solo",
      logger: silentLogger,
      cluster: { heartbeatMs: 200, leaseMs: 1_000 },
      ports: { admin: 0, ingress: 0, egress: 0 },
    });
    try {
      expect(server.runtime.clustered).toBe(true);
      const admin = `http://127.0.0.1:${server.ports.admin}`;
      const status = (await (await fetch(`${admin}/v1/cluster`)).json()) as { worker: string; keyGroups: number[]; ranges: string[] };
      expect(status.worker).toBe("solo");
      expect(status.keyGroups).toHaveLength(KEY_GROUPS);
      expect(status.ranges).toEqual([`0-${KEY_GROUPS - 1}`]);
      expect(await (await fetch(`${admin}/metrics`)).text()).toContain(`statefun_owned_key_groups{worker="solo"} ${KEY_GROUPS}`);
    } finally {
      await server.close();
    }
  });

  it("names the database it cannot reach", async () => {
    const unreachable = storeFromUrl("postgres://statefun@127.0.0.1:1/statefun?schema=nowhere");
    await expect(startServer({ store: unreachable, logger: silentLogger, ports: { admin: 0, ingress: 0, egress: 0 } })).rejects.toThrow(
      /cannot connect to postgres:\/\/statefun@127\.0\.0\.1:1\/statefun \(schema nowhere\)/,
    );
  });
});
