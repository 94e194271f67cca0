import { z } from "zod";
import { compact, timeouts, timeoutsMs } from "../modules/yaml/endpoint.js";
import { badModule, issueLines } from "../modules/yaml/errors.js";
import { functionTypes, positiveInt, strict, urlTemplate } from "../modules/yaml/fields.js";
import type { HttpEndpointSpec } from "../modules/yaml/types.js";

const remote = strict({
  kind: z.literal("remote"),
  url: urlTemplate,
  maxNumBatchRequests: positiveInt.optional(),
  timeouts: timeouts.optional(),
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
  const { url, maxNumBatchRequests } = parsed.data;
  return compact({
    functions: typename,
    urlPathTemplate: url,
    maxNumBatchRequests,
    timeouts: timeoutsMs(parsed.data.timeouts ?? {}),
  });
}
