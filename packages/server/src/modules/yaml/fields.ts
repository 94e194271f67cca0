import { toMillis } from "@statefun-ts/protocol";
import { z } from "zod";
import { describeValue } from "./describe.js";
import { KNOWN_FIELDS } from "./errors.js";

/** A mapping that refuses fields it does not know (typos must not pass silently). */
export function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, { error: (issue) => (issue.code === "unrecognized_keys" ? `${KNOWN_FIELDS}${known}` : undefined) });
}

/** A field that is only there to be refused with an explanation. */
export function refused(reason: string) {
  return z.unknown().superRefine((_, ctx) => ctx.addIssue({ code: "custom", message: reason }));
}

/** A duration in StateFun's syntax (`500ms`, `10s`, `2m`, `1 min`; a bare number is milliseconds), to milliseconds. */
export function duration(options: { allowZero?: boolean } = {}) {
  return z.unknown().transform((value, ctx) => {
    const ms = millis(value);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `expected a duration such as 500ms, 10s, 2m or 1h, got ${describeValue(value)}` });
      return z.NEVER;
    }
    if (ms === 0 && options.allowZero !== true) {
      ctx.addIssue({ code: "custom", message: `expected a duration longer than 0, got ${describeValue(value)}` });
      return z.NEVER;
    }
    return ms;
  });
}

function millis(value: unknown): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  try {
    return toMillis(value);
  } catch {
    return undefined;
  }
}

export const positiveInt = z.number().int().positive();

export const port = z.number().int().min(0).max(65535);

/** `namespace/name` or `namespace/*` (the namespace may contain dots and slashes; it is split on the last `/`). */
export const functionTypes = z.string().superRefine((value, ctx) => {
  const slash = value.lastIndexOf("/");
  const namespace = value.slice(0, Math.max(slash, 0));
  const name = value.slice(slash + 1);
  if (slash <= 0 || name === "" || (name !== "*" && name.includes("*")) || namespace.includes("*")) {
    ctx.addIssue({
      code: "custom",
      message: `expected a function type namespace/name or namespace/* (e.g. example/greeter or example/*), got ${describeValue(value)}`,
    });
  }
});

const URL_SCHEMES = new Set(["http:", "https:", "http+unix:", "https+unix:"]);

/** An endpoint URL; `{function.name}` is replaced by each function type's name. */
export const urlTemplate = z.string().superRefine((value, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(value.replaceAll("{function.name}", "name"));
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    !URL_SCHEMES.has(url.protocol) ||
    (url.protocol.endsWith("+unix:") ? url.pathname.length <= 1 : url.host === "")
  ) {
    ctx.addIssue({
      code: "custom",
      message: `expected an http://, https:// or http+unix:///path/to.sock/path URL, got ${describeValue(value)}`,
    });
  }
});

/** An egress topic: what the playground egress serves at `GET /{topic}`. */
export const topic = z.string().superRefine((value, ctx) => {
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) {
    ctx.addIssue({ code: "custom", message: `expected a topic of letters, digits, "_", "-" and ".", got ${describeValue(value)}` });
  }
});

/** `spec` of `io.statefun-ts.v1/module`: the path of a `.ts`, `.mts`, `.js` or `.mjs` module file. */
export const embeddedModule = strict({
  path: z.string().regex(/\.(ts|mts|cts|js|mjs|cjs)$/, "expected the path of a .ts, .mts, .js or .mjs module file"),
});
