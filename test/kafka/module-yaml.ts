import { fileURLToPath } from "node:url";

export const COUNTER = fileURLToPath(new URL("./fixtures/counter.ts", import.meta.url));

/** A module file in StateFun's format, with our embedded counter. */
export function kafkaModuleYaml(o: { brokers: string; input: string; group: string; semantic: string }): string {
  return `kind: io.statefun-ts.v1/module
spec:
  path: ${COUNTER}
---
kind: io.statefun.kafka.v1/ingress
spec:
  id: kafka-test/in
  address: ${o.brokers}
  consumerGroupId: ${o.group}
  startupPosition:
    type: earliest
  topics:
    - topic: ${o.input}
      valueType: kafka-test/text
      targets:
        - kafka-test/counter
  properties:
    - client.id: kafka-test
---
kind: io.statefun.kafka.v1/egress
spec:
  id: kafka-test/out
  address: ${o.brokers}
  deliverySemantic:
    type: ${o.semantic}${o.semantic === "exactly-once" ? "\n    transactionTimeout: 1min" : ""}
`;
}
