// The client battery: node battery.mjs <url> [--batch] [--skip-streams]
// Runs every scenario against a Conformance server, over one WebSocket session
// (ws://…/rpc; a new one if a scenario breaks it), or with --batch over HTTP
// batch (http://…/rpc), a fresh batch session per batch-compatible scenario.
// --skip-streams leaves out the stream scenarios, for a server without streams.
import { WebSocket } from "./node-websocket.mjs";
import { RpcSession, WebSocketTransport, newHttpBatchRpcSession } from "capnweb";
import { scenarios } from "./scenarios.mjs";
import { runChecks } from "./runner.mjs";

const args = process.argv.slice(2);
const batch = args.includes("--batch");
const skipStreams = args.includes("--skip-streams");
const url = args.find((a) => !a.startsWith("--"));
if (!url) {
  console.error("usage: node battery.mjs <url> [--batch] [--skip-streams]");
  process.exit(2);
}
const selected = scenarios.filter((s) => !(skipStreams && s.stream));

function openWebSocket() {
  const session = new RpcSession(new WebSocketTransport(new WebSocket(url)));
  const api = session.getRemoteMain();
  const conn = { api, stats: () => session.getStats(), broken: false };
  api.onRpcBroken(() => (conn.broken = true));
  return conn;
}

let ok;
if (batch) {
  const connect = () => {
    const api = newHttpBatchRpcSession(url);
    return { api, done: () => api[Symbol.dispose]() };
  };
  ok = await runChecks(selected.filter((s) => s.batch), connect);
} else {
  let conn = openWebSocket();
  const connect = () => {
    if (conn.broken) {
      conn.api[Symbol.dispose]();
      conn = openWebSocket();
    }
    return conn;
  };
  ok = await runChecks(selected, connect, { finalStats: () => conn.stats() });
  conn.api[Symbol.dispose]();
}
process.exit(ok ? 0 : 1);
