/**
 * The function under test of the crash verifier, loaded by the worker process as a module file:
 * `verifier/counter` runs trees of commands and counts its `inc`s (the command model lives in
 * test/kit/commands.ts, shared with the property tests and the SDK interpreters' protocol).
 * A relative import: the worker process (tsx) knows no test aliases.
 */
import { verifierModule } from "../../kit/commands.js";

export { type Command, Commands, counter, type Target, verified } from "../../kit/commands.js";

export default verifierModule;
