import { access, readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { StatefunError } from "@statefun-ts/protocol";
import type { StatefunModule } from "@statefun-ts/sdk";
import { moduleFromExports } from "@statefun-ts/sdk/internal";
import { parseModuleYaml } from "./yaml/parse.js";
import type { YamlModule } from "./yaml/types.js";

const TS_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);
const JS_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);
const YAML_EXTENSIONS = new Set([".yaml", ".yml"]);

/**
 * Loads a module file given on the command line: a StateFun `module.yaml` (remote endpoints,
 * playground ingress and egress), or a code module (see `loadModuleFile`). Errors name the file.
 */
export async function loadModule(file: string, cwd: string = process.cwd()): Promise<StatefunModule | YamlModule> {
  const path = resolve(cwd, file);
  if (!YAML_EXTENSIONS.has(extname(path).toLowerCase())) return loadModuleFile(file, cwd);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw moduleError(file, code === "ENOENT" ? `file not found (${path})` : `cannot read ${path}: ${(cause as Error).message}`, cause);
  }
  return parseModuleYaml(text, file, { baseDir: dirname(path) });
}

/**
 * Loads a code module file: TypeScript through tsx, JavaScript with `import()`. The module is
 * the default export (`statefunModule(...)`) or the functions, ingresses and egresses it
 * exports by name. Errors name the file. With `fresh` (a tag unique per load), the file is
 * imported again even if it was imported before, so a changed file runs its new code.
 */
export async function loadModuleFile(file: string, cwd: string = process.cwd(), fresh?: string): Promise<StatefunModule> {
  const path = resolve(cwd, file);
  const ext = extname(path).toLowerCase();
  if (YAML_EXTENSIONS.has(ext)) throw moduleError(file, "a YAML module declares remote endpoints: load it with loadModule()");
  if (!TS_EXTENSIONS.has(ext) && !JS_EXTENSIONS.has(ext)) {
    throw moduleError(file, `unknown module file type ${JSON.stringify(ext || "(none)")}: expected .ts, .mts, .js, .mjs, .yaml or .yml`);
  }
  await exists(file, path);
  let exports: Record<string, unknown>;
  try {
    // A `fresh` tag makes a new URL, so that a changed file is imported anew (ESM caches by URL).
    const url = pathToFileURL(path).href + (fresh === undefined ? "" : `?statefun-load=${encodeURIComponent(fresh)}`);
    exports = TS_EXTENSIONS.has(ext) ? await importTypeScript(url) : await import(url);
  } catch (cause) {
    throw moduleError(file, `failed to import: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  // A .ts file outside an ESM package is compiled as CommonJS: its exports come as the default export.
  const cjs = exports.default;
  if (typeof cjs === "object" && cjs !== null && "__esModule" in cjs) exports = cjs as Record<string, unknown>;
  const module = moduleFromExports(exports);
  if (module.functions.length === 0) {
    throw moduleError(
      file,
      "exports no functions: default-export statefunModule({ functions: [...] }) or export the functions made with statefulFunction(...)",
    );
  }
  return module;
}

/** Loads every file, in order. */
export async function loadModuleFiles(files: readonly string[], cwd?: string): Promise<StatefunModule[]> {
  const modules: StatefunModule[] = [];
  for (const file of files) modules.push(await loadModuleFile(file, cwd));
  return modules;
}

async function exists(file: string, path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw moduleError(file, `file not found (${path})`);
  }
}

async function importTypeScript(url: string): Promise<Record<string, unknown>> {
  const { tsImport } = await import("tsx/esm/api");
  return tsImport(url, import.meta.url);
}

function moduleError(file: string, reason: string, cause?: unknown): StatefunError {
  return new StatefunError("STATEFUN_BAD_MODULE", `module file ${file}: ${reason}`, cause === undefined ? {} : { cause });
}
