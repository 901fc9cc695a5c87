// node server.mjs [port]: serves the JS Conformance on 127.0.0.1 as a WebSocket
// session at ws://127.0.0.1:PORT/rpc and as HTTP batch at POST /rpc.
// Prints `LISTENING <port>` once ready; runs until killed.
import http from "node:http";
import { WebSocketServer } from "./node-websocket.mjs";
import { RpcSession, WebSocketTransport, nodeHttpBatchRpcResponse } from "capnweb";
import { Conformance } from "./conformance.mjs";

const port = Number(process.argv[2] ?? 0);

const server = http.createServer(async (req, res) => {
  if (new URL(req.url, "http://x").pathname !== "/rpc") {
    res.writeHead(404).end();
    return;
  }
  try {
    await nodeHttpBatchRpcResponse(req, res, new Conformance());
  } catch (err) {
    console.error("batch session failed:", err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});

const wss = new WebSocketServer({ server, path: "/rpc" });
// What newWebSocketRpcSession does, but keeping the RpcSession, so that the
// main object's sessionStats() can read this connection's tables.
wss.on("connection", (ws) => {
  const session = new RpcSession(new WebSocketTransport(ws), new Conformance(() => session.getStats()));
});

server.listen(port, "127.0.0.1", () => {
  console.log(`LISTENING ${server.address().port}`);
});
