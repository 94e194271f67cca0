/**
 * End-to-end exactly-once check (DESIGN §2, §6) on the default embedded store (SQLite, its work on
 * a thread of its own): a real worker process, random command trees over HTTP, SIGKILL at random
 * moments while they flow, and the verifier's exact count per instance (verifier/crash-suite.ts).
 * Replay a failure with VERIFIER_SEED=<seed> (printed in the message).
 */
import { crashVerifierSuite } from "./verifier/crash-suite.js";

crashVerifierSuite("crash verifier: a worker process killed with SIGKILL while traffic flows", "crash");
