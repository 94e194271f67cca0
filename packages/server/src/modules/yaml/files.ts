import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { describeValue } from "./describe.js";

/** Where PEM contents come from: inline, or a file (absolute, `~/…`, or relative to the module file). */
export type PemRef = { readonly pem: string } | { readonly file: string };

/**
 * A certificate or key reference as StateFun takes it: a path, `file:` + path, or (ours) the
 * PEM text itself. `classpath:` has no meaning outside the JVM and is refused.
 */
export const pemRef = z.string().transform((value, ctx): PemRef => {
  const text = value.trim();
  if (text.startsWith("-----BEGIN")) return { pem: value };
  const issue = (message: string) => {
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  };
  if (text === "") return issue("expected a file path or PEM text, got an empty string");
  if (text.startsWith("classpath:")) {
    return issue(
      `classpath: references are not supported (there is no Java classpath): give a file path, absolute or relative to the module file, got ${describeValue(value)}`,
    );
  }
  let path = text;
  if (path.startsWith("file://")) {
    try {
      path = fileURLToPath(path);
    } catch {
      return issue(`expected a file: URL such as file:///etc/tls/ca.pem, got ${describeValue(value)}`);
    }
  } else if (path.startsWith("file:")) {
    path = path.slice("file:".length);
  }
  if (path === "~" || path.startsWith("~/")) path = join(homedir(), path.slice(1));
  return { file: path };
});

/** Reads a PEM reference relative to `baseDir`; rejects with a reason naming the file. */
export async function readPem(ref: PemRef, baseDir: string): Promise<string> {
  if ("pem" in ref) return ref.pem;
  const path = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (cause as Error).message;
    throw new Error(`cannot read ${ref.file} (${path}): ${reason}`, { cause });
  }
  if (!text.includes("-----BEGIN")) throw new Error(`${ref.file} (${path}) is not PEM: expected a -----BEGIN ...----- block`);
  return text;
}
