import { StatefunError } from "@statefun-ts/protocol";
import type { z } from "zod";
import { closest, describeValue } from "./describe.js";

/** The message `strict()` objects give unknown fields: the fields they know, after this prefix. */
export const KNOWN_FIELDS = "known fields: ";

/** `module.yaml, document 2 (io.statefun.endpoints.v2/http)`: names a document in every error. */
export function documentLabel(source: string, index: number, kind?: string): string {
  return `${source}, document ${index}${kind === undefined ? "" : ` (${kind})`}`;
}

/** The error of a module file that is not valid: one line per problem. */
export function badModule(lines: readonly string[], cause?: unknown): StatefunError {
  return new StatefunError("STATEFUN_BAD_MODULE", lines.join("\n"), cause === undefined ? {} : { cause });
}

/** `spec.topics[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else text += text === "" ? String(part) : `.${String(part)}`;
  }
  return text;
}

/** `spec.urlPathTemplate: required`, one line per problem (an unknown field: one line per field). */
export function issueLines(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      const known = issue.message.startsWith(KNOWN_FIELDS) ? issue.message.slice(KNOWN_FIELDS.length).split(", ") : [];
      for (const key of issue.keys) lines.push(`${formatPath([...path, key])}: ${unknownField(key, known)}`);
    } else {
      lines.push(`${formatPath(path) || "(document)"}: ${what(issue)}`);
    }
  }
  return lines;
}

function unknownField(key: string, known: readonly string[]): string {
  const suggestion = closest(key, known);
  if (suggestion !== undefined) return `unknown field (did you mean ${suggestion}?)`;
  return known.length > 0 ? `unknown field (expected one of: ${known.join(", ")})` : "unknown field";
}

function what(issue: z.core.$ZodIssue): string {
  const got = `got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case "invalid_type":
      return issue.input === undefined ? "required" : `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, ${got}`;
    case "invalid_value":
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, ${got}`;
    case "too_small":
      return `expected ${issue.origin === "array" ? "at least" : issue.inclusive ? "a value >=" : "a value >"} ${issue.minimum}${issue.origin === "array" ? " items" : ""}, ${got}`;
    case "too_big":
      return `expected ${issue.origin === "array" ? "at most" : issue.inclusive ? "a value <=" : "a value <"} ${issue.maximum}${issue.origin === "array" ? " items" : ""}, ${got}`;
    default:
      return issue.message;
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
};
