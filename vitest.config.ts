import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const pkg = (name: string, file = "index") => fileURLToPath(new URL(`./packages/${name}/src/${file}.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run on the sources; child processes started by e2e tests run the built `dist`.
    alias: [
      { find: /^@statefun-ts\/([a-z-]+)\/([a-z-]+)$/, replacement: pkg("$1", "$2") },
      { find: /^@statefun-ts\/([a-z-]+)$/, replacement: pkg("$1") },
    ],
  },
  test: {
    exclude: ["**/node_modules/**", "**/dist/**"],
    pool: "forks",
    globalSetup: ["test/setup/postgres.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "main",
          include: ["packages/*/src/**/*.test.ts", "examples/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["test/kafka/**"],
        },
      },
      // The Kafka suites, with a real broker of their own (test/setup/kafka.ts) that no other suite waits for;
      // one file at a time (they share that broker, and several kill workers on 2 cores).
      {
        extends: true,
        test: { name: "kafka", include: ["test/kafka/**/*.test.ts"], globalSetup: ["test/setup/kafka.ts"], fileParallelism: false },
      },
    ],
  },
});
