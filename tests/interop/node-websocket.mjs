// Node 20 has no global WebSocket, and capnweb 0.12 reads `WebSocket.CONNECTING`
// from the global both as client and as server. Importing this module first
// installs the `ws` package's implementation there.
import { WebSocket, WebSocketServer } from "ws";

globalThis.WebSocket ??= WebSocket;

export { WebSocket, WebSocketServer };
