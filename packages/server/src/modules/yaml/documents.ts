import { CST, Lexer, LineCounter, parseAllDocuments, visit, type YAMLError } from "yaml";
import { badModule } from "./errors.js";

/** One non-empty document of a YAML stream, numbered from 1 by its position in the file. */
export interface YamlDocument {
  readonly index: number;
  readonly value: unknown;
}

/** Splits a multi-document YAML stream. Syntax errors name the source, line and column. */
export function readDocuments(text: string, source: string): YamlDocument[] {
  checkNesting(text, source);
  const lines = new LineCounter();
  const stream = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const where = (error: YAMLError) => {
    const { line, col } = lines.linePos(error.pos[0]);
    return `${source}, line ${line}, column ${col}`;
  };
  const errors = "empty" in stream ? stream.errors : stream.flatMap((d) => d.errors);
  if (errors.length > 0) throw badModule(errors.map((e) => `${where(e)}: invalid YAML: ${firstLine(e.message)}`));

  const documents: YamlDocument[] = [];
  stream.forEach((document, i) => {
    let value: unknown;
    let at = document.range[0];
    try {
      visit(document, {
        Alias(_, node) {
          at = node.range?.[0] ?? at;
          if (node.resolve(document) === undefined) throw new Error(`unknown alias *${node.source} (no &${node.source} before it)`);
        },
      });
      at = document.range[0];
      value = document.toJS({ maxAliasCount: 100 });
    } catch (cause) {
      const { line, col } = lines.linePos(at);
      throw badModule([`${source}, line ${line}, column ${col}: invalid YAML: ${firstLine((cause as Error).message)}`], cause);
    }
    if (value !== null && value !== undefined) documents.push({ index: i + 1, value });
  });
  return documents;
}

/** Collections nested deeper than this are refused before parsing (no module file comes near it). */
export const MAX_YAML_DEPTH = 1000;
/** Values, collections and entries past this are refused before parsing (a module file holds hundreds). */
export const MAX_YAML_NODES = 20_000;

/**
 * Refuses a text nested deeper than `MAX_YAML_DEPTH`, or with more than `MAX_YAML_NODES` values,
 * collections and entries, before the parser sees it: the parser and its document take about 1.5 KB
 * a node and hold every open level, and a 1 MB body of `[` (or of `[], `) exhausted the worker's
 * heap. Reads the lexer's tokens (cheap, flat), bounding each point's depth from above by its line's
 * indentation, the block indicators (`- `, `? `, `: ` outside flow collections) before it on its line and the flow
 * collections (`[`, `{`) open around it.
 */
function checkNesting(text: string, source: string): void {
  const refuse = (at: number, what: string) => {
    const before = text.slice(0, at).split("\n");
    return badModule([`${source}, line ${before.length}, column ${before[before.length - 1]!.length + 1}: invalid YAML: ${what}`]);
  };
  let nodes = 0;
  let offset = 0;
  let flow = 0;
  let line = 0;
  let lineStart = true;
  let scalar = false;
  for (const token of new Lexer().lex(text)) {
    const at = offset;
    // The lexer's markers (document mode, scalar, flow error end) are not in the text.
    if (token !== CST.DOCUMENT && token !== CST.SCALAR && token !== CST.FLOW_END) offset += token.length;
    if (scalar) {
      // A scalar's text (a block scalar's lines too): no structure inside.
      scalar = false;
      lineStart = token.endsWith("\n");
      if (lineStart) line = 0;
      continue;
    }
    const type = CST.tokenType(token);
    if (NODES.has(type) && ++nodes > MAX_YAML_NODES) {
      throw refuse(at, `too large: more than ${MAX_YAML_NODES} values, collections and entries (a module file holds hundreds)`);
    }
    if (type === "scalar") scalar = true;
    else if (type === "newline" || type === "doc-start" || type === "doc-end") line = 0;
    else if (type === "space" && lineStart) line += token.length;
    else if ((type === "seq-item-ind" || type === "explicit-key-ind" || type === "map-value-ind") && flow === 0) line++;
    else if (type === "flow-seq-start" || type === "flow-map-start") flow++;
    else if ((type === "flow-seq-end" || type === "flow-map-end") && flow > 0) flow--;
    lineStart = type === "newline";
    if (line + flow > MAX_YAML_DEPTH) {
      throw refuse(
        at,
        `nested too deeply (collections inside collections, more than ${MAX_YAML_DEPTH} levels, or indented past column ${MAX_YAML_DEPTH})`,
      );
    }
  }
}

/** The tokens that each make (at most) one node: a value, an alias, a flow collection, a block entry. */
const NODES = new Set<string | null>([
  "scalar",
  "alias",
  "flow-seq-start",
  "flow-map-start",
  "seq-item-ind",
  "explicit-key-ind",
  "map-value-ind",
]);

function firstLine(message: string): string {
  const line = message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  // The parser recursed out of stack: say what in the file did it.
  return line.startsWith("Maximum call stack size exceeded")
    ? "nested too deeply (collections inside collections, thousands of levels)"
    : line;
}
