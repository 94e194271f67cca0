import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

describe("createLogger", () => {
  it("writes JSON lines where a field named `name` (a module's, say) is the only `name` key", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: "info", destination });
    logger.info({ kind: "module", name: "shop" }, "loaded");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.match(/"name":/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: "statefun", name: "shop", msg: "loaded" });
  });
});
