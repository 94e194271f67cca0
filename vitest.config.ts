import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

const pkg = (name: string, file = "index") => fileURLToPath(new URL(`./packages/${name}/src/${file}.ts`, import.meta.url));
const TEST_KIT = fileURLToPath(new URL("./test/kit/index.ts", import.meta.url));

/** The throwaway PostgreSQL server (test/setup/postgres.ts), for the projects that need one. */
const POSTGRES = "test/setup/postgres.ts";

/**
 * One vitest project per kind of test, each with the global setups it needs and nothing more.
 * `npm test` runs them all; `npm run test:<name>` (or `vitest run --project <name>`) one of them.
 * A new kind of test (a broker, a browser) is one more entry here and one `test:<name>` script.
 */
const projects: TestProjectInlineConfiguration[] = [
  {
    // Only Node: no PostgreSQL, Java, Go, Python nor broker (`npm run test:unit`).
    test: {
      name: "unit",
      include: ["packages/*/src/**/*.test.ts", "examples/**/*.test.ts", "test/kit/**/*.test.ts"],
      exclude: ["**/*.property.test.ts"],
      // The fast loop: the unit files run in worker threads that are not isolated (`poolOptions.threads`
      // below), so a worker imports the packages (fastify, undici, the protobuf code…) once for all its
      // files instead of once per file, which was about half of this project's time. These tests mock no
      // module and set no global, so a shared module cache changes nothing they see (checked with
      // `--sequence.shuffle.files`); each test file still has its own module scope.
      pool: "threads",
      // After the other projects, not beside them: no unit file runs beside a file of another project.
      sequence: { groupOrder: 1 },
    },
  },
  {
    // The store conformance suite on memory, SQLite and PostgreSQL, and each store's own suites.
    test: { name: "store", include: ["test/store/**/*.test.ts"], globalSetup: [POSTGRES] },
  },
  {
    // Runtimes sharing one store in one process, and the property tests of exactly-once under crashes.
    test: { name: "cluster", include: ["test/cluster/**/*.test.ts", "packages/*/src/**/*.property.test.ts"] },
  },
  {
    // The official SDKs (Python, Go) and Apache Flink StateFun (Java) against ours.
    test: { name: "interop", include: ["test/interop/**/*.test.ts"] },
  },
  {
    // Workers as child processes over real HTTP: acceptance, crash verifier, clusters on PostgreSQL.
    test: { name: "e2e", include: ["test/e2e/**/*.test.ts", "test/acceptance/**/*.test.ts"], globalSetup: [POSTGRES] },
  },
  {
    // The operator console in a real headless Chromium (scripts/chromium/setup.sh), and its store reads.
    test: { name: "console", include: ["test/console/**/*.test.ts"], globalSetup: [POSTGRES] },
  },
  {
    // Moving state: export/import files, SQLite to PostgreSQL migration, online backups, bootstrap.
    test: { name: "moving", include: ["test/moving/**/*.test.ts"], globalSetup: [POSTGRES] },
  },
  {
    // The Kafka suites, with a real broker of their own (test/setup/kafka.ts) that no other suite waits for;
    // one file at a time (they share that broker, and several kill workers on 2 cores).
    test: {
      name: "kafka",
      include: ["test/kafka/**/*.test.ts"],
      globalSetup: ["test/setup/kafka.ts", POSTGRES],
      poolOptions: { forks: { singleFork: true } },
    },
  },
];

export default defineConfig({
  resolve: {
    // Tests run on the sources; child processes started by e2e tests run the built `dist`.
    alias: [
      { find: /^@statefun-ts\/test-kit$/, replacement: TEST_KIT },
      { find: /^@statefun-ts\/([a-z-]+)\/([a-z-]+)$/, replacement: pkg("$1", "$2") },
      { find: /^@statefun-ts\/([a-z-]+)$/, replacement: pkg("$1") },
    ],
  },
  test: {
    exclude: ["**/node_modules/**", "**/dist/**"],
    pool: "forks",
    // Only the unit project runs in threads (see there); the other projects keep a fresh process per file.
    // Its files wait on sockets and timers more than they compute: two at a time even on two cores.
    poolOptions: { threads: { isolate: false, maxThreads: Math.max(2, availableParallelism() - 1) } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each project inherits the settings above (aliases, pool, timeouts).
    projects: projects.map((project) => ({ extends: true, ...project })),
  },
});
