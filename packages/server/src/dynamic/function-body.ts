import { z } from "zod";
import { badModule, issueLines } from "../modules/yaml/errors.js";
import { duration, functionTypes, positiveInt, strict, urlTemplate } from "../modules/yaml/fields.js";
import type { HttpEndpointSpec } from "../modules/yaml/types.js";

const remote = strict({
  kind: z.literal("remote"),
  url: urlTemplate,
  maxNumBatchRequests: positiveInt.optional(),
  timeouts: strict({
    call: duration().optional(),
    connect: duration().optional(),
    read: duration().optional(),
    write: duration().optional(),
  }).optional(),
});

/**
 * The body of `PUT /v1/functions/{namespace}/{name}`: a remote endpoint,
 * `{"kind":"remote","url":"http://127.0.0.1:8000/{function.name}"}`, with optional
 * `maxNumBatchRequests` and `timeouts` (`call`, `connect`, `read`, `write`, durations such as
 * `"10s"`). Errors (`STATEFUN_BAD_MODULE`) name the function and the field.
 */
export function parseFunctionBody(typename: string, text: string): HttpEndpointSpec {
  const where = `function ${typename}`;
  const named = functionTypes.safeParse(typename);
  if (!named.success) throw badModule(issueLines(named.error.issues).map((line) => `${where}: name: ${line.replace(/^: /, "")}`));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw badModule([`${where}: the body is not JSON: ${(error as Error).message}`]);
  }
  const parsed = remote.safeParse(json, { reportInput: true });
  if (!parsed.success) throw badModule(issueLines(parsed.error.issues).map((line) => `${where}: ${line}`));
  const { url, maxNumBatchRequests, timeouts } = parsed.data;
  const ms: { callMs?: number; connectMs?: number; readMs?: number; writeMs?: number } = {};
  if (timeouts?.call !== undefined) ms.callMs = timeouts.call;
  if (timeouts?.connect !== undefined) ms.connectMs = timeouts.connect;
  if (timeouts?.read !== undefined) ms.readMs = timeouts.read;
  if (timeouts?.write !== undefined) ms.writeMs = timeouts.write;
  return {
    functions: typename,
    urlPathTemplate: url,
    ...(maxNumBatchRequests === undefined ? {} : { maxNumBatchRequests }),
    ...(Object.keys(ms).length === 0 ? {} : { timeouts: ms }),
  };
}
