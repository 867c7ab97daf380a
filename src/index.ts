import { createApp } from "./app";

/** The Worker: one app (and one GraphQL schema) per isolate. */
export default createApp();
