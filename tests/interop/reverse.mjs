// node reverse.mjs [port] [--skip-streams]: interop direction 4. A capnweb WebSocket server at
// ws://127.0.0.1:PORT/rpc with no main of its own. Prints `LISTENING <port>`,
// waits for one client that exposes Conformance as its main (for example
// `conformance connect URL`), runs the battery against that main, prints the
// results, closes the connection and exits 0 (all passed) or 1.
// --skip-streams leaves out the stream scenarios, for a client without streams.
import http from "node:http";
import { WebSocketServer } from "./node-websocket.mjs";
import { RpcSession, WebSocketTransport } from "capnweb";
import { scenarios } from "./scenarios.mjs";
import { runChecks } from "./runner.mjs";

const args = process.argv.slice(2);
const port = Number(args.find((a) => !a.startsWith("--")) ?? 0);
const skipStreams = args.includes("--skip-streams");
const selected = scenarios.filter((s) => !(skipStreams && s.stream));
const server = http.createServer((req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: "/rpc" });

wss.once("connection", async (ws) => {
  server.close(); // one client only
  const session = new RpcSession(new WebSocketTransport(ws));
  const api = session.getRemoteMain();
  const stats = () => session.getStats();
  const ok = await runChecks(selected, () => ({ api, stats }), { finalStats: stats });
  api[Symbol.dispose]();
  ws.once("close", () => process.exit(ok ? 0 : 1));
  setTimeout(() => process.exit(ok ? 0 : 1), 1000).unref();
});

server.listen(port, "127.0.0.1", () => {
  console.log(`LISTENING ${server.address().port}`);
});
