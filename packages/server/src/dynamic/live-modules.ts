import { StatefunError } from "@statefun-ts/protocol";
import type { Logger, MetricsSink, Runtime } from "@statefun-ts/runtime";
import type { ModuleCatalog, ModuleCatalogEntry } from "@statefun-ts/runtime/spi";
import { covers } from "../http/parked.js";
import type { KafkaConnectors } from "../kafka/connectors.js";
import { type Prepared, prepareFunction, prepareModule } from "./prepare.js";

export interface LiveModulesDeps {
  readonly runtime: Runtime;
  readonly store: ModuleCatalog;
  readonly logger: Logger;
  /** Counts the remote endpoints' retried attempts. */
  readonly metrics?: MetricsSink;
  /** Where relative paths in modules given through the admin API resolve (the worker's working directory). */
  readonly baseDir: string;
  /** Starts a playground ingress on a port its module declares (when it is not the worker's own). */
  readonly openIngress: (port: number) => Promise<{ close(): Promise<void> }>;
  /** The worker's own ingress port as declared (before any offset). */
  readonly ingressPort: number;
  /** The worker's own egress port as declared: the only one a module's playground egress may name. */
  readonly egressPort?: number;
  /** How long importing one embedded module file may take (default 20 s). */
  readonly importTimeoutMs?: number;
  /** How long a change may wait for the one before it (default 30 s); past it the change is refused (503). */
  readonly queueTimeoutMs?: number;
  /** When given, embedded module files loaded through the admin API must lie in one of these directories. */
  readonly modulesDirs?: readonly string[];
  /** Runs the Kafka ingresses and egresses of modules. */
  readonly kafka?: KafkaConnectors | undefined;
}

export const DEFAULT_IMPORT_TIMEOUT_MS = 20_000;
export const DEFAULT_ADMIN_QUEUE_TIMEOUT_MS = 30_000;

/** One entry as the admin API lists it. */
export interface EntryView {
  readonly kind: "module" | "function";
  readonly name: string;
  readonly functions: readonly string[];
  readonly topics: readonly string[];
  readonly ingressPorts: readonly number[];
  readonly files: readonly string[];
  /** Set when the entry is stored but could not be loaded at start (a module file gone, say). */
  readonly error?: string;
}

/** A module name in `/v1/modules/{name}`: letters, digits, `_`, `-` and `.`, starting with a letter or digit, at most 128. */
export const MODULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The modules and function bindings loaded through the admin API, persisted in the store's module catalog (so
 * they survive restarts). Modules given on the command line are not part of it: they load at
 * every start and their function types cannot be bound or removed here. Changes are made one at
 * a time; each is validated whole and loaded before it is stored, and applied only once stored.
 */
export class LiveModules {
  private readonly entries = new Map<string, Prepared>();
  private readonly failed = new Map<string, { kind: "module" | "function"; name: string; error: string }>();
  private readonly listeners = new Map<number, { owner: string; close(): Promise<void> }>();
  /** Running Kafka connectors by entry key. */
  private readonly kafka = new Map<string, { close(): Promise<void> }>();
  private readonly staticTypes: ReadonlySet<string>;
  private readonly staticTopics: ReadonlySet<string>;
  private queue: Promise<unknown> = Promise.resolve();
  /** What the change being applied is, and since when (for the error of one that waits too long). */
  private running: { what: string; since: number } | undefined;
  private loads = 0;
  /** The module catalog version this worker has applied. */
  private version = 0;
  private poller: NodeJS.Timeout | undefined;

  constructor(private readonly d: LiveModulesDeps) {
    this.staticTypes = new Set(d.runtime.functionTypes());
    this.staticTopics = new Set(d.runtime.egresses().map((e) => e.topic));
  }

  /** Loads the stored entries (the store is open). An entry that fails is logged and kept, listed with its error. */
  start(): Promise<void> {
    return this.serial("loading the stored modules", () => this.sync());
  }

  /**
   * Polls the store's module catalog version every `everyMs` and applies changes other workers made
   * (workers sharing a store see the same modules).
   */
  watch(everyMs: number): void {
    this.poller = setInterval(() => {
      this.refresh().catch((error: unknown) => this.d.logger.warn({ error: String(error) }, "reading the module catalog failed"));
    }, everyMs);
    this.poller.unref();
  }

  /** Applies the stored module catalog if its version moved since this worker last applied it. */
  refresh(): Promise<void> {
    return this.serial("applying other workers' changes", async () => {
      if ((await this.d.store.moduleCatalogVersion()) !== this.version) await this.sync();
    });
  }

  /** Makes the loaded entries those stored: new and changed ones loaded, removed ones unloaded. */
  private async sync(): Promise<void> {
    const { version, entries } = await this.d.store.loadModuleCatalog();
    const stored = new Set(entries.map((e) => key(e.kind, e.name)));
    for (const [k, old] of this.entries) {
      if (stored.has(k)) continue;
      await this.retire(old, undefined);
      this.entries.delete(k);
    }
    for (const k of this.failed.keys()) if (!stored.has(k)) this.failed.delete(k);
    for (const entry of entries) {
      const k = key(entry.kind, entry.name);
      if (this.entries.get(k)?.body === entry.body) continue;
      try {
        const prepared = await this.prepare(entry);
        await this.apply(prepared, await this.claim(prepared));
        this.failed.delete(k);
      } catch (error) {
        const message = (error as Error).message;
        this.failed.set(k, { kind: entry.kind, name: entry.name, error: message });
        this.d.logger.error({ kind: entry.kind, name: entry.name, error: message }, "a stored module could not be loaded");
      }
    }
    this.version = version;
  }

  /** Loads or replaces a module (its YAML text). */
  async putModule(name: string, body: string): Promise<EntryView> {
    checkModuleName(name);
    return this.change({ kind: "module", name, body });
  }

  /** Binds or rebinds a function type or namespace (`ns/*`) to a remote endpoint (its JSON). */
  putFunction(typename: string, body: string): Promise<EntryView> {
    return this.change({ kind: "function", name: typename, body });
  }

  /** Unloads a module or function binding; false when there is none. New messages to its types park. */
  remove(kind: "module" | "function", name: string): Promise<boolean> {
    return this.serial(`removing ${kind} ${name}`, async () => {
      const k = key(kind, name);
      const old = this.entries.get(k);
      if (old === undefined && !this.failed.has(k)) {
        if (kind === "function" && this.staticTypes.has(name)) {
          throw conflict(`${name} is loaded from the command line; it cannot be removed at run time`);
        }
        return false;
      }
      this.noteVersion(await this.d.store.changeModuleCatalog({ kind, name, body: null }));
      this.failed.delete(k);
      if (old !== undefined) await this.retire(old, undefined);
      this.entries.delete(k);
      this.d.logger.info({ kind, name }, "unloaded");
      return true;
    });
  }

  list(kind: "module" | "function"): EntryView[] {
    const views = [...this.entries.values()].filter((p) => p.kind === kind).map(view);
    for (const f of this.failed.values()) if (f.kind === kind) views.push({ ...emptyView(f.kind, f.name), error: f.error });
    return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The stored body of an entry. */
  body(kind: "module" | "function", name: string): string | undefined {
    return this.entries.get(key(kind, name))?.body;
  }

  /** Which entry binds a function type or namespace: `module NAME`, `function NAME`, or `command line`. */
  sourceOf(typename: string): string {
    if (this.staticTypes.has(typename)) return "command line";
    for (const p of this.entries.values()) if (p.typenames.includes(typename)) return `${p.kind} ${p.name}`;
    return "unknown";
  }

  /** Stops the ingresses it started and closes its remote bindings (after the runtime stopped). */
  async close(): Promise<void> {
    clearInterval(this.poller);
    await Promise.allSettled([...this.listeners.values()].map((l) => l.close()));
    await Promise.allSettled([...this.entries.values()].flatMap((p) => p.bindings.map((b) => b.close())));
  }

  private change(entry: ModuleCatalogEntry): Promise<EntryView> {
    return this.serial(`loading ${entry.kind} ${entry.name}`, async () => {
      const prepared = await this.prepare(entry);
      const opened = await this.claim(prepared);
      try {
        this.noteVersion(await this.d.store.changeModuleCatalog(entry));
      } catch (error) {
        await release(prepared, opened);
        throw error;
      }
      this.failed.delete(key(entry.kind, entry.name));
      await this.apply(prepared, opened);
      this.d.logger.info({ kind: entry.kind, name: entry.name, functions: prepared.typenames }, "loaded");
      return view(prepared);
    });
  }

  private prepare(entry: ModuleCatalogEntry): Promise<Prepared> | Prepared {
    const k = key(entry.kind, entry.name);
    const declaredTopics = new Set(this.staticTopics);
    for (const [other, p] of this.entries) if (other !== k) for (const t of p.topics) declaredTopics.add(t);
    const deps = {
      specs: this.d.runtime.stateSpecs,
      logger: this.d.logger,
      metrics: this.d.metrics,
      baseDir: this.d.baseDir,
      declaredTopics,
      loadTag: () => `${Date.now()}-${++this.loads}`,
      precheck: (declared: { typenames: readonly string[]; ingressPorts: readonly number[] }) =>
        this.checkDeclared(entry.kind, entry.name, declared.typenames, declared.ingressPorts),
      importTimeoutMs: this.d.importTimeoutMs ?? DEFAULT_IMPORT_TIMEOUT_MS,
      egressPort: this.d.egressPort,
      modulesDirs: this.d.modulesDirs,
    };
    return entry.kind === "module" ? prepareModule(entry.name, entry.body, deps) : prepareFunction(entry.name, entry.body, deps);
  }

  private checkConflicts(p: Prepared): void {
    for (const module of p.modules) this.d.runtime.checkLoad(module);
    if (p.kafka !== undefined) {
      try {
        this.d.kafka?.check(p.kafka, this.entries.get(key(p.kind, p.name))?.kafka);
      } catch (error) {
        throw conflict(`${p.kind} ${p.name}: ${(error as Error).message}`);
      }
    }
    this.checkDeclared(p.kind, p.name, p.typenames, p.ingressPorts);
  }

  /** Refuses function types bound elsewhere (command line, another entry) and ingress ports another module opened. */
  private checkDeclared(kind: string, name: string, typenames: readonly string[], ingressPorts: readonly number[]): void {
    const k = key(kind, name);
    for (const typename of typenames) {
      for (const loaded of this.staticTypes) {
        if (loaded === typename) throw conflict(`${kind} ${name}: ${typename} is loaded from the command line`);
        if (covers(typename, loaded) || covers(loaded, typename)) {
          throw conflict(`${kind} ${name}: ${typename} overlaps ${loaded}, which is loaded from the command line`);
        }
      }
      for (const [other, q] of this.entries) {
        if (other !== k && q.typenames.includes(typename)) {
          throw conflict(`${kind} ${name}: ${typename} is bound by ${q.kind} ${q.name}; unload it first`);
        }
      }
    }
    for (const port of ingressPorts) {
      const owner = this.listeners.get(port)?.owner;
      if (owner !== undefined && owner !== k) throw conflict(`module ${name}: ingress port ${port} is opened by ${owner}`);
    }
  }

  /** Checks a prepared entry against what is loaded and opens its ports; on a refusal, closes what it made. */
  private async claim(p: Prepared): Promise<Map<number, Listener>> {
    try {
      this.checkConflicts(p);
      return await this.openPorts(p);
    } catch (error) {
      await release(p, new Map());
      throw error;
    }
  }

  /**
   * Opens the playground ingress ports an entry declares and nobody has open yet, before
   * anything is stored or applied: a port that cannot be opened refuses the change (409).
   */
  private async openPorts(p: Prepared): Promise<Map<number, Listener>> {
    const opened = new Map<number, Listener>();
    for (const port of p.ingressPorts) {
      if (port === this.d.ingressPort || this.listeners.has(port) || opened.has(port)) continue;
      try {
        opened.set(port, await this.d.openIngress(port));
      } catch (error) {
        await Promise.allSettled([...opened.values()].map((l) => l.close()));
        throw conflict(`module ${p.name}: cannot open its ingress port ${port}: ${(error as Error).message}`);
      }
    }
    return opened;
  }

  /** Loads a prepared entry, replacing the one of the same kind and name: new bindings first, then the old ones go. */
  private async apply(p: Prepared, opened: ReadonlyMap<number, Listener>): Promise<void> {
    const k = key(p.kind, p.name);
    const old = this.entries.get(k);
    for (const module of p.modules) this.d.runtime.load(module);
    for (const binding of p.bindings) this.d.runtime.bind(binding);
    await this.kafka.get(k)?.close();
    this.kafka.delete(k);
    if (p.kafka !== undefined && this.d.kafka !== undefined) this.kafka.set(k, this.d.kafka.open(p.kafka));
    this.entries.set(k, p);
    if (old !== undefined) await this.retire(old, p);
    for (const [port, listener] of opened) this.listeners.set(port, { owner: k, close: () => listener.close() });
  }

  /** Removes what `old` loaded and `next` (its replacement, if any) does not; old remote bindings close once idle. */
  private async retire(old: Prepared, next: Prepared | undefined): Promise<void> {
    for (const module of old.modules) this.d.runtime.unload(module);
    for (const typename of old.typenames) {
      if (!next?.typenames.includes(typename) && old.bindings.some((b) => b.typename === typename)) this.d.runtime.unbind(typename);
    }
    for (const binding of old.bindings) {
      binding.close().catch((error: unknown) => this.d.logger.warn({ error: String(error) }, "closing a replaced remote binding failed"));
    }
    const k = key(old.kind, old.name);
    if (next === undefined) {
      await this.kafka.get(k)?.close();
      this.kafka.delete(k);
    }
    for (const [port, listener] of this.listeners) {
      if (listener.owner !== k || next?.ingressPorts.includes(port)) continue;
      this.listeners.delete(port);
      await listener.close();
    }
  }

  /** After this worker's own change: the next version, unless another worker changed the catalog meanwhile (then the next poll syncs). */
  private noteVersion(version: number): void {
    if (version === this.version + 1) this.version = version;
  }

  /**
   * Runs changes one at a time. A task that cannot start within the queue timeout (the change
   * before it still runs) is refused with STATEFUN_OVERLOADED and never runs.
   */
  private serial<T>(what: string, task: () => Promise<T>): Promise<T> {
    const waitMs = this.d.queueTimeoutMs ?? DEFAULT_ADMIN_QUEUE_TIMEOUT_MS;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const start = async () => {
      clearTimeout(timer);
      if (timedOut) throw new StatefunError("STATEFUN_CLOSED", "given up while waiting");
      this.running = { what, since: Date.now() };
      try {
        return await task();
      } finally {
        this.running = undefined;
      }
    };
    const run = this.queue.then(start, start);
    this.queue = run.catch(() => {});
    const waited = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        const running = this.running === undefined ? "" : ` (${this.running.what}, for ${Date.now() - this.running.since} ms)`;
        reject(
          new StatefunError(
            "STATEFUN_OVERLOADED",
            `${what}: another admin change is still running${running}; nothing was changed, try again later`,
          ),
        );
      }, waitMs);
      timer.unref();
    });
    return Promise.race([run, waited]);
  }
}

/** An ingress server opened for a module. */
interface Listener {
  close(): Promise<void>;
}

/** Closes the remote bindings and ports of an entry that is not applied. */
async function release(p: Prepared, opened: ReadonlyMap<number, Listener>): Promise<void> {
  await Promise.allSettled([...p.bindings.map((b) => b.close()), ...[...opened.values()].map((l) => l.close())]);
}

function conflict(message: string): StatefunError {
  return new StatefunError("STATEFUN_CONFLICT", message);
}

function key(kind: string, name: string): string {
  return `${kind} ${name}`;
}

function checkModuleName(name: string): void {
  if (!MODULE_NAME.test(name)) {
    throw new StatefunError(
      "STATEFUN_BAD_MODULE",
      `invalid module name ${JSON.stringify(name)}: expected letters, digits, "_", "-" and ".", starting with a letter or digit, at most 128`,
    );
  }
}

function view(p: Prepared): EntryView {
  return { kind: p.kind, name: p.name, functions: p.typenames, topics: p.topics, ingressPorts: p.ingressPorts, files: p.files };
}

function emptyView(kind: "module" | "function", name: string): EntryView {
  return { kind, name, functions: [], topics: [], ingressPorts: [], files: [] };
}
