import { access } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { StatefunError } from "@statefun-ts/protocol";
import type { StatefunModule } from "@statefun-ts/sdk";
import { moduleFromExports } from "@statefun-ts/sdk/internal";

const TS_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);
const JS_EXTENSIONS = new Set([".js", ".mjs", ".cjs"]);
const YAML_EXTENSIONS = new Set([".yaml", ".yml"]);

/**
 * Loads a module file given on the command line: TypeScript through tsx, JavaScript with
 * `import()`. The module is the default export (`statefunModule(...)`) or the functions,
 * ingresses and egresses it exports by name. Errors name the file.
 */
export async function loadModuleFile(file: string, cwd: string = process.cwd()): Promise<StatefunModule> {
  const path = resolve(cwd, file);
  const ext = extname(path).toLowerCase();
  if (YAML_EXTENSIONS.has(ext)) throw moduleError(file, "YAML module files are not supported yet; give a .ts or .js module");
  if (!TS_EXTENSIONS.has(ext) && !JS_EXTENSIONS.has(ext)) {
    throw moduleError(file, `unknown module file type ${JSON.stringify(ext || "(none)")}: expected .ts, .mts, .js or .mjs`);
  }
  try {
    await access(path);
  } catch {
    throw moduleError(file, `file not found (${path})`);
  }
  let exports: Record<string, unknown>;
  try {
    exports = TS_EXTENSIONS.has(ext) ? await importTypeScript(path) : await import(pathToFileURL(path).href);
  } catch (cause) {
    throw moduleError(file, `failed to import: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
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

async function importTypeScript(path: string): Promise<Record<string, unknown>> {
  const { tsImport } = await import("tsx/esm/api");
  return tsImport(pathToFileURL(path).href, import.meta.url);
}

function moduleError(file: string, reason: string, cause?: unknown): StatefunError {
  return new StatefunError("STATEFUN_BAD_MODULE", `module file ${file}: ${reason}`, cause === undefined ? {} : { cause });
}
