import { isStatefulFunction, type StatefulFunction } from "../function.js";
import type { StatefunModule } from "../module.js";

/**
 * What a remote endpoint can serve: a function, a module (its functions are served; its
 * ingresses and egresses are the runtime's business), or a list of either.
 *
 * @example
 * const served: Servable = [person, greeter];
 * const alsoServed: Servable = statefunModule({ functions: [person, greeter] });
 */
export type Servable = StatefulFunction<any, any> | StatefunModule | readonly Servable[];

/**
 * The functions of `servables` by type name (`namespace/name`). The same definition listed
 * twice is served once; two different definitions of one type name are an error.
 *
 * @example
 * servedFunctions(person, statefunModule({ functions: [greeter] })).get("example/greeter");
 */
export function servedFunctions(...servables: readonly Servable[]): ReadonlyMap<string, StatefulFunction<any, any>> {
  const byType = new Map<string, StatefulFunction<any, any>>();
  const add = (item: Servable): void => {
    if (isStatefulFunction(item)) {
      const known = byType.get(item.typename);
      if (known !== undefined && known !== item) {
        throw new TypeError(`two different functions are defined as ${item.typename}: serve each type name once`);
      }
      for (const spec of item.specs.values()) {
        if (spec.kind === "map" || spec.kind === "list") {
          throw new TypeError(
            `cannot serve ${item.typename} remotely: its ${spec.kind} state ${spec.name} is for embedded functions (StateFun's protocol has single values only)`,
          );
        }
      }
      byType.set(item.typename, item);
    } else if (Array.isArray(item)) {
      for (const inner of item as readonly Servable[]) add(inner);
    } else if (isModule(item)) {
      for (const fn of item.functions) add(fn);
    } else {
      throw new TypeError(`cannot serve ${describe(item)}: pass functions made with statefulFunction(), modules, or lists of them`);
    }
  };
  for (const item of servables) add(item);
  if (byType.size === 0) throw new TypeError("nothing to serve: pass at least one function");
  return byType;
}

function isModule(value: unknown): value is StatefunModule {
  return typeof value === "object" && value !== null && Array.isArray((value as Partial<StatefunModule>).functions);
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return String(value);
  return `an object with keys ${Object.keys(value).join(", ") || "(none)"}`;
}
