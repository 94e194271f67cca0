// The binary array parameters of the PostgreSQL store, read back by a real server.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byteaArray, int4Array, int8Array, textArray } from "../../packages/store-postgres/src/arrays.js";
import { testPostgresUrl } from "../setup/postgres-env.js";

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: testPostgresUrl() });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

/** The array as the server reads it, back as text per element (`null` for NULL) and its length. */
async function roundTrip(parameter: Buffer, type: string): Promise<{ elements: (string | null)[]; length: number | null }> {
  const { rows } = await client.query(
    `SELECT array_length($1::${type}, 1) AS length, coalesce(array_agg(e::text ORDER BY n), '{}') AS elements
     FROM unnest($1::${type}) WITH ORDINALITY AS u(e, n)`,
    [parameter],
  );
  return { length: rows[0].length, elements: rows[0].elements };
}

describe("binary array parameters", () => {
  it("text: quotes, backslashes, braces, commas, multi-byte UTF-8, empty strings and NULLs", async () => {
    const values = ['say "hi"', "back\\slash", "{a,b}", "", "NULL", "ünï/cödé 🎉", null, undefined, " spaced "];
    expect(await roundTrip(textArray(values), "text[]")).toEqual({
      length: values.length,
      elements: values.map((v) => v ?? null),
    });
  });

  it("bigint: the whole safe range, negatives and NULLs", async () => {
    const values = [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, 2 ** 31, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, null, 1_700_000_000_123];
    expect(await roundTrip(int8Array(values), "bigint[]")).toEqual({
      length: values.length,
      elements: values.map((v) => v?.toString() ?? null),
    });
  });

  it("int: 32-bit values and NULLs", async () => {
    const values = [0, 127, -1, 2 ** 31 - 1, -(2 ** 31), undefined];
    expect(await roundTrip(int4Array(values), "int[]")).toEqual({
      length: values.length,
      elements: values.map((v) => v?.toString() ?? null),
    });
  });

  it("bytea: empty and binary values", async () => {
    const values = [
      new Uint8Array(0),
      new Uint8Array([0, 1, 255]),
      Buffer.from("x"),
      new Uint8Array(new Uint8Array([9, 8, 7]).buffer, 1, 2),
    ];
    expect(await roundTrip(byteaArray(values), "bytea[]")).toEqual({
      length: values.length,
      elements: ["\\x", "\\x0001ff", "\\x78", "\\x0807"],
    });
  });

  it("empty arrays of every type", async () => {
    for (const [parameter, type] of [
      [textArray([]), "text[]"],
      [int8Array([]), "bigint[]"],
      [int4Array([]), "int[]"],
      [byteaArray([]), "bytea[]"],
    ] as const) {
      expect(await roundTrip(parameter, type)).toEqual({ length: null, elements: [] });
    }
  });
});
