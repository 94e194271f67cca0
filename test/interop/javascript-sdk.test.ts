/**
 * The official StateFun JavaScript SDK (apache-flink-statefun 3.3.0) behind our runtime, with the
 * playground's JavaScript greeter; needs scripts/interop/setup-javascript.sh (npm test runs it).
 */
import { javascript } from "./javascript.js";
import { remoteSdkSuite } from "./remote-sdk.js";

remoteSdkSuite(javascript);
