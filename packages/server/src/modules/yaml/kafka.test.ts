import { StatefunError } from "@statefun-ts/protocol";
import { describe, expect, it } from "vitest";
import { parseModuleYaml } from "./parse.js";

const ingress = (spec: string) => `kind: io.statefun.kafka.v1/ingress\nspec:\n${spec.replace(/^/gm, "  ")}\n`;
const egress = (spec: string) => `kind: io.statefun.kafka.v1/egress\nspec:\n${spec.replace(/^/gm, "  ")}\n`;
const topics = "topics:\n  - topic: users\n    valueType: com.example/User\n    targets:\n      - com.example.fns/greeter";

async function failure(text: string): Promise<string> {
  const error = await parseModuleYaml(text, "module.yaml").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StatefunError);
  expect((error as StatefunError).code).toBe("STATEFUN_BAD_MODULE");
  return (error as Error).message;
}

describe("io.statefun.kafka.v1 module kinds", () => {
  it("reads StateFun's ingress fields; startupPosition defaults to group-offsets, autoOffsetResetPosition to latest; named fields win", async () => {
    const module = await parseModuleYaml(
      ingress(
        `id: com.example/users\naddress: kafka-broker:9092\nconsumerGroupId: my-group\n${topics}\nproperties:\n  - client.id: mine\n  - bootstrap.servers: elsewhere:1`,
      ),
      "m.yaml",
    );
    expect(module.kafkaIngresses).toEqual([
      {
        id: "com.example/users",
        address: "kafka-broker:9092",
        consumerGroupId: "my-group",
        topics: [{ topic: "users", valueType: "com.example/User", targets: ["com.example.fns/greeter"] }],
        autoOffsetResetPosition: "latest",
        startupPosition: { type: "group-offsets" },
        properties: new Map([
          ["client.id", "mine"],
          ["bootstrap.servers", "elsewhere:1"],
        ]),
      },
    ]);
  });

  it("reads every startup position", async () => {
    const position = async (yaml: string) =>
      (
        await parseModuleYaml(
          ingress(`id: a/b\naddress: k:9092\nconsumerGroupId: g\n${topics}\nstartupPosition:\n${yaml.replace(/^/gm, "  ")}`),
          "m",
        )
      ).kafkaIngresses?.[0]?.startupPosition;
    expect(await position("type: earliest")).toEqual({ type: "earliest" });
    expect(await position("type: latest")).toEqual({ type: "latest" });
    expect(await position("type: specific-offsets\noffsets:\n  - users/0: 91\n  - users/1: 11")).toEqual({
      type: "specific-offsets",
      offsets: new Map([
        ["users/0", 91],
        ["users/1", 11],
      ]),
    });
    expect(await position("type: date\ndate: 2020-02-01 04:15:00.00 Z")).toEqual({
      type: "date",
      date: Date.parse("2020-02-01T04:15:00Z"),
    });
  });

  it("reads StateFun's egress fields; deliverySemantic defaults to at-least-once", async () => {
    const eo = await parseModuleYaml(
      egress("id: com.example/out\naddress: k:9092\ndeliverySemantic:\n  type: exactly-once\n  transactionTimeout: 15min"),
      "m",
    );
    expect(eo.kafkaEgresses?.[0]).toMatchObject({
      id: "com.example/out",
      deliverySemantic: { type: "exactly-once", transactionTimeoutMs: 900_000 },
    });
    const plain = await parseModuleYaml(egress("id: com.example/out\naddress: k:9092"), "m");
    expect(plain.kafkaEgresses?.[0]?.deliverySemantic).toEqual({ type: "at-least-once" });
  });

  it("an invalid spec names the file, the document and the field", async () => {
    expect(
      await failure(`${egress("id: a/b\naddress: k:9092")}---\n${ingress(`id: a/b\naddress: nowhere\nconsumerGroupId: g\n${topics}`)}`),
    ).toBe('module.yaml, document 2 (io.statefun.kafka.v1/ingress): spec.address: expected host:port[,host:port...], got "nowhere"');
    expect(await failure(ingress(`id: a/b\naddress: k:9092\n${topics}\nstartupPosition:\n  type: yesterday`))).toMatch(
      /^module\.yaml, document 1 \(io\.statefun\.kafka\.v1\/ingress\): spec\.consumerGroupId: required\nmodule\.yaml, document 1 \(io\.statefun\.kafka\.v1\/ingress\): spec\.startupPosition\.type: /,
    );
    expect(await failure(egress("id: a/b\naddress: k:9092\ndeliverySemantic:\n  type: twice"))).toMatch(
      /^module\.yaml, document 1 \(io\.statefun\.kafka\.v1\/egress\): spec\.deliverySemantic\.type: /,
    );
    expect(
      await failure(ingress(`id: a/b\naddress: k:9092\nconsumerGroupId: g\ntopics:\n  - topic: t\n    valueType: x\n    targets: []`)),
    ).toBe(
      [
        'module.yaml, document 1 (io.statefun.kafka.v1/ingress): spec.topics[0].valueType: expected a type name namespace/name, got "x"',
        "module.yaml, document 1 (io.statefun.kafka.v1/ingress): spec.topics[0].targets: expected at least 1 items, got a list",
      ].join("\n"),
    );
  });
});
