import { LineCounter, parseAllDocuments, visit, type YAMLError } from "yaml";
import { badModule } from "./errors.js";

/** One non-empty document of a YAML stream, numbered from 1 by its position in the file. */
export interface YamlDocument {
  readonly index: number;
  readonly value: unknown;
}

/** Splits a multi-document YAML stream. Syntax errors name the source, line and column. */
export function readDocuments(text: string, source: string): YamlDocument[] {
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

function firstLine(message: string): string {
  const line = message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
  // The parser recursed out of stack: say what in the file did it.
  return line.startsWith("Maximum call stack size exceeded")
    ? "nested too deeply (collections inside collections, thousands of levels)"
    : line;
}
