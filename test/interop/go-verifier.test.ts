/** The crash verifier with the Go SDK's command interpreter (test/interop/go/verifier.go) behind a runtime killed with SIGKILL. */
import { go } from "./go/server.js";
import { remoteVerifierSuite } from "./remote-sdk.js";

remoteVerifierSuite(go);
