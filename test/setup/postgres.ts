// Vitest globalSetup: one real PostgreSQL server per `vitest run`, for every suite that needs one.
//
// It starts a throwaway cluster (scripts/postgres/cluster.sh: initdb in a temp directory, as the
// `postgres` user when running as root, 127.0.0.1 on a free port) and hands its URL to the tests
// with `provide` and the environment variable STATEFUN_TEST_POSTGRES_URL (which child processes
// inherit); it stops the server and deletes its directory at teardown. With
// STATEFUN_TEST_POSTGRES_URL already set, it uses that server and starts none.
//
// When the server cannot be started, the run goes on and every test that asks for the URL fails
// with the reason (test/setup/postgres-env.ts): they never skip.
import type { TestProject } from "vitest/node";
import { type PostgresCluster, startPostgres } from "./postgres-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The test server's URL, or "" when it could not be started. */
    postgresUrl: string;
    /** Why the test server could not be started ("" when it runs). */
    postgresError: string;
  }
}

const URL_VARIABLE = "STATEFUN_TEST_POSTGRES_URL";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env[URL_VARIABLE];
  if (given !== undefined && given !== "") {
    project.provide("postgresUrl", given);
    project.provide("postgresError", "");
    return async () => {};
  }
  let cluster: PostgresCluster;
  try {
    cluster = await startPostgres();
  } catch (error) {
    project.provide("postgresUrl", "");
    project.provide("postgresError", (error as Error).message);
    return async () => {};
  }
  const onExit = () => cluster.stopSync();
  process.once("exit", onExit);
  process.env[URL_VARIABLE] = cluster.url;
  project.provide("postgresUrl", cluster.url);
  project.provide("postgresError", "");
  return async () => {
    process.off("exit", onExit);
    delete process.env[URL_VARIABLE];
    await cluster.stop();
  };
}
