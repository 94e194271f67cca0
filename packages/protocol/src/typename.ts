import { StatefunError } from "./errors.js";

/** A type name `namespace/name`, e.g. `example/greeter`. The namespace may contain dots. */
export interface TypeName {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Parses `namespace/name` on the last `/`.
 *
 * @example
 * parseTypeName("io.statefun.types/int") // { namespace: "io.statefun.types", name: "int" }
 */
export function parseTypeName(text: string): TypeName {
  const slash = text.lastIndexOf("/");
  const namespace = slash < 0 ? "" : text.slice(0, slash);
  const name = slash < 0 ? text : text.slice(slash + 1);
  if (namespace === "" || name === "") {
    throw new StatefunError(
      "STATEFUN_BAD_TYPENAME",
      `invalid type name ${JSON.stringify(text)}: expected "namespace/name" with both parts non-empty`,
    );
  }
  return { namespace, name };
}

/** Formats a type name as `namespace/name`. */
export function formatTypeName(typeName: TypeName): string {
  return `${typeName.namespace}/${typeName.name}`;
}
