import { z } from "zod";
import { port, strict, topic } from "./fields.js";
import type { PlaygroundEgressSpec, PlaygroundIngressSpec } from "./types.js";

/** `spec` of `io.statefun.playground.v1/ingress` (it may be left out: the default port). */
export const playgroundIngress = strict({ port: port.optional() })
  .nullish()
  .transform((s): PlaygroundIngressSpec => (s?.port === undefined ? {} : { port: s.port }));

/** `spec` of `io.statefun.playground.v1/egress`. */
export const playgroundEgress = strict({ port: port.optional(), topics: z.array(topic) }).transform(
  (s): PlaygroundEgressSpec => (s.port === undefined ? { topics: s.topics } : { port: s.port, topics: s.topics }),
);
