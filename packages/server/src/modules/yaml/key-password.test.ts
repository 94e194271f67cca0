import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptKeyError } from "./key-password.js";
import { parseModuleYaml } from "./parse.js";

const V2 = "io.statefun.endpoints.v2/http";

describe("client_key_password (an encrypted client key, as Flink StateFun takes it)", () => {
  let dir: string;
  const module = (password: string) =>
    `kind: ${V2}\nspec:\n  functions: example/*\n  urlPathTemplate: https://fns/{function.name}\n  transport:\n    client_cert: client.crt\n    client_key: client.key\n    client_key_password: ${password}\n`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "statefun-key-password-"));
    const { privateKey } = generateKeyPairSync("ec", {
      namedCurve: "prime256v1",
      privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "open sesame" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    await writeFile(join(dir, "client.key"), privateKey);
    await writeFile(join(dir, "client.crt"), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    await writeFile(join(dir, "password.txt"), "open sesame\n");
    await writeFile(join(dir, "wrong.txt"), "open barley\n");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("decrypts the key with the password read from the file it names (trailing newline dropped)", async () => {
    const parsed = await parseModuleYaml(module("password.txt"), "module.yaml", { baseDir: dir });
    const key = String(parsed.endpoints[0]?.tls?.key);
    expect(key).toContain("-----BEGIN PRIVATE KEY-----");
    expect(createPrivateKey(key).asymmetricKeyType).toBe("ec");
  });

  it("names the field when the password is wrong or its file missing", async () => {
    await expect(parseModuleYaml(module("wrong.txt"), "module.yaml", { baseDir: dir })).rejects.toThrow(
      `module.yaml, document 1 (${V2}): spec.transport.client_key_password: does not decrypt client_key (wrong password?)`,
    );
    await expect(parseModuleYaml(module("nope.txt"), "module.yaml", { baseDir: dir })).rejects.toThrow(
      `module.yaml, document 1 (${V2}): spec.transport.client_key_password: cannot read nope.txt`,
    );
  });

  it("says exactly what to do when OpenSSL 3 needs its legacy provider for the key's cipher", () => {
    const unsupported = Object.assign(new Error("error:0308010C:digital envelope routines::unsupported"), {
      code: "ERR_OSSL_EVP_UNSUPPORTED",
    });
    expect(decryptKeyError(unsupported)).toContain("--openssl-legacy-provider");
    expect(decryptKeyError(unsupported)).toContain("openssl pkcs8 -topk8 -v2 aes-256-cbc");
  });
});
