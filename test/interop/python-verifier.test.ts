/** The crash verifier with the Python SDK's command interpreter (test/interop/python/functions.py) behind a runtime killed with SIGKILL. */
import { python } from "./python.js";
import { remoteVerifierSuite } from "./remote-sdk.js";

remoteVerifierSuite(python);
