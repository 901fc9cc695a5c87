// node client-exposing.mjs URL: the JS stand-in for `conformance connect URL`.
// Connects to a WebSocket server and exposes Conformance as this side's main;
// stays until the server closes the connection, then exits 0.
import "./node-websocket.mjs";
import { newWebSocketRpcSession } from "capnweb";
import { Conformance } from "./conformance.mjs";

const url = process.argv[2];
if (!url) {
  console.error("usage: node client-exposing.mjs URL");
  process.exit(2);
}
const server = newWebSocketRpcSession(url, new Conformance());
server.onRpcBroken((err) => {
  console.error(`connection ended: ${err?.message ?? err}`);
  process.exit(0);
});
