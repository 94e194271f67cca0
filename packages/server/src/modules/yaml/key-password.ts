import { createPrivateKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import type { PemRef } from "./files.js";

/**
 * Reads `client_key_password` as StateFun does: the location of a file holding the password
 * (one trailing newline dropped).
 */
export async function readKeyPassword(ref: PemRef, baseDir: string): Promise<string> {
  if ("pem" in ref) throw new Error("expected the path of a file holding the password, got PEM text");
  const path = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
  try {
    return (await readFile(path, "utf8")).replace(/\r?\n$/, "");
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (cause as Error).message;
    throw new Error(`cannot read ${ref.file} (${path}): ${reason}`, { cause });
  }
}

/** Decrypts an encrypted PEM private key (PKCS#8 or traditional) into unencrypted PKCS#8 PEM. */
export function decryptKey(pem: string, password: string): string {
  try {
    return createPrivateKey({ key: pem, format: "pem", passphrase: password }).export({ type: "pkcs8", format: "pem" }).toString();
  } catch (error) {
    throw new Error(decryptKeyError(error));
  }
}

/** Why a key did not decrypt, and what to do. */
export function decryptKeyError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === "ERR_OSSL_EVP_UNSUPPORTED" || /unsupported/i.test(message ?? "")) {
    return (
      "client_key is encrypted with a cipher that OpenSSL 3 only has in its legacy provider (DES, RC2 or the like): " +
      "start the worker with NODE_OPTIONS=--openssl-legacy-provider, or re-encrypt the key once: " +
      "openssl pkcs8 -topk8 -v2 aes-256-cbc -in client.key -out client-aes.key"
    );
  }
  if (code === "ERR_OSSL_BAD_DECRYPT" || /bad decrypt/i.test(message ?? "")) return "does not decrypt client_key (wrong password?)";
  return `cannot decrypt client_key with it: ${message ?? String(error)}`;
}
