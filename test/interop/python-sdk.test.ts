/** The official StateFun Python SDK (apache-flink-statefun 3.3.0) behind our runtime; needs scripts/interop/setup-python.sh (npm test runs it). */
import { python } from "./python.js";
import { remoteSdkSuite } from "./remote-sdk.js";

remoteSdkSuite(python);
