// node describe.mjs URL: a capnweb client asks the server's main object for its
// description with the reserved method `__describe__`, as an ordinary call, and
// prints the answer as one line of JSON (or `ERROR <name>: <message>`).
import "./node-websocket.mjs";
import { newWebSocketRpcSession } from "capnweb";

const api = newWebSocketRpcSession(process.argv[2]);
try {
  console.log(JSON.stringify(await api.__describe__()));
} catch (err) {
  console.log(`ERROR ${err.name}: ${err.message}`);
}
api[Symbol.dispose]();
process.exit(0);
