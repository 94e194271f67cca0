/** The official StateFun Go SDK (statefun-sdk-go/v3 v3.3.0) behind our runtime; needs scripts/interop/setup-go.sh (npm test runs it). */
import { go } from "./go/server.js";
import { remoteSdkSuite } from "./remote-sdk.js";

remoteSdkSuite(go);
