import { Runtime, silentLogger } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { egressRef, jsonType, statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { describe, expect, it } from "vitest";
import { installYamlPlan, planYamlModules } from "./install.js";
import type { YamlModule } from "./yaml/types.js";

const yaml = (source: string, parts: Partial<YamlModule>): YamlModule => ({ source, endpoints: [], ingresses: [], egresses: [], ...parts });
const greeterEndpoint = { functions: "example/*", urlPathTemplate: "http://127.0.0.1:8000/statefun" };

describe("planYamlModules", () => {
  it("takes the playground ports and topics of every module, once", () => {
    const plan = planYamlModules([
      yaml("a.yaml", { ingresses: [{ port: 9090 }], egresses: [{ port: 9091, topics: ["greetings"] }], endpoints: [greeterEndpoint] }),
      yaml("b.yaml", { ingresses: [{}], egresses: [{ topics: ["greetings", "alerts"] }] }),
    ]);
    expect(plan).toEqual({
      ports: { ingress: 9090, egress: 9091 },
      topics: ["greetings", "alerts"],
      endpoints: [{ source: "a.yaml", spec: greeterEndpoint }],
    });
    expect(planYamlModules([])).toEqual({ ports: {}, topics: [], endpoints: [] });
  });

  it("refuses two ports for one ingress and two endpoints for one function type, naming the files", () => {
    expect(() =>
      planYamlModules([yaml("a.yaml", { ingresses: [{ port: 8090 }] }), yaml("b.yaml", { ingresses: [{ port: 9090 }] })]),
    ).toThrow("playground ingress port: a.yaml declares 8090 and b.yaml declares 9090; a worker has one ingress port");
    const other = { functions: "example/*", urlPathTemplate: "http://127.0.0.1:9000/" };
    expect(() => planYamlModules([yaml("a.yaml", { endpoints: [greeterEndpoint] }), yaml("b.yaml", { endpoints: [other] })])).toThrow(
      "example/* has two endpoints: http://127.0.0.1:8000/statefun (a.yaml) and http://127.0.0.1:9000/ (b.yaml)",
    );
  });
});

describe("installYamlPlan", () => {
  const Greet = jsonType<{ name: string }>("example/Greet");
  const embedded = statefulFunction({ typename: "example/embedded", accepts: [Types.string], handler() {} });

  it("declares the egress topics as strings (a code module's declaration wins) and binds the endpoints", async () => {
    const runtime = new Runtime({
      store: new MemoryStore(),
      modules: [statefunModule({ functions: [embedded], egresses: [egressRef("alerts", Greet)] })],
    });
    const plan = planYamlModules([yaml("m.yaml", { egresses: [{ topics: ["greetings", "alerts"] }], endpoints: [greeterEndpoint] })]);
    const installed = installYamlPlan(runtime, plan, { logger: silentLogger });
    expect(runtime.egresses().map((e) => [e.topic, e.type.typename])).toEqual([
      ["alerts", "example/Greet"],
      ["greetings", Types.string.typename],
    ]);
    expect(runtime.functionTypes()).toEqual(["example/*", "example/embedded"]);
    expect(runtime.function("example/embedded")).toBe(embedded);
    await installed.close();
  });

  it("refuses an endpoint for a function type that is embedded", () => {
    const runtime = new Runtime({ store: new MemoryStore(), modules: [statefunModule({ functions: [embedded] })] });
    const plan = planYamlModules([
      yaml("m.yaml", { endpoints: [{ functions: "example/embedded", urlPathTemplate: "http://127.0.0.1:8000/" }] }),
    ]);
    expect(() => installYamlPlan(runtime, plan, { logger: silentLogger })).toThrow(
      "m.yaml: example/embedded is both an embedded function and a remote endpoint (http://127.0.0.1:8000/)",
    );
  });

  it("names the file and the endpoint when the remote binding refuses the spec", () => {
    const runtime = new Runtime({ store: new MemoryStore() });
    const plan = planYamlModules([yaml("m.yaml", { endpoints: [{ ...greeterEndpoint, tls: { ca: "-----BEGIN CERTIFICATE-----" } }] })]);
    expect(() => installYamlPlan(runtime, plan, { logger: silentLogger })).toThrow(
      "m.yaml: endpoint example/*: tls settings need an https URL, got http://127.0.0.1:8000/statefun",
    );
  });
});
