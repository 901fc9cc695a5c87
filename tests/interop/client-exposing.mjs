// node client-exposing.mjs URL: the JS stand-in for `conformance connect URL`.
// Connects to a WebSocket server and exposes Conformance as this side's main;
// stays until the server closes the connection, then exits 0.
import { WebSocket } from "./node-websocket.mjs";
import { RpcSession, WebSocketTransport } from "capnweb";
import { Conformance } from "./conformance.mjs";

const url = process.argv[2];
if (!url) {
  console.error("usage: node client-exposing.mjs URL");
  process.exit(2);
}
// An RpcSession of our own (not newWebSocketRpcSession) so that the main
// object's sessionStats() can read this session's tables.
const session = new RpcSession(new WebSocketTransport(new WebSocket(url)), new Conformance(() => session.getStats()));
const server = session.getRemoteMain();
server.onRpcBroken((err) => {
  console.error(`connection ended: ${err?.message ?? err}`);
  process.exit(0);
});
