/**
 * The crash verifier (crash-verifier.test.ts runs it on the default embedded store) on the store
 * with its SQLite work on the engine's thread (`STATEFUN_SQLITE_THREAD=0`, `SqliteStore`): SIGKILL
 * at random moments while traffic flows, and every count exact afterwards. A file of its own, so
 * that the two run side by side. Replay a failure with VERIFIER_SEED=<seed>.
 */
import { crashVerifierSuite } from "./verifier/crash-suite.js";

crashVerifierSuite(
  "crash verifier, store on the engine's thread: a worker process killed with SIGKILL while traffic flows",
  "crash-engine-thread",
  { STATEFUN_SQLITE_THREAD: "0" },
);
