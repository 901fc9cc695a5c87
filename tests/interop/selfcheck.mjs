// node selfcheck.mjs: proves the battery against capnweb itself, JS against JS.
//   ws/…       battery.mjs over WebSocket against server.mjs
//   batch/…    battery.mjs --batch over HTTP batch against server.mjs
//   reverse/…  reverse.mjs calling into client-exposing.mjs
// Prints each check as `ok RUN/NAME` or `not ok RUN/NAME: REASON`, then the
// total `N passed, M failed`; exits 1 if anything failed.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const here = new URL(".", import.meta.url).pathname;
let passed = 0;
let failed = 0;

function start(script, ...args) {
  const child = spawn(process.execPath, [script, ...args], { cwd: here, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  const lines = createInterface({ input: child.stdout });
  return { child, exited, lines };
}

// Resolves with the port from a child's `LISTENING <port>` line.
function listening({ lines, exited }) {
  return new Promise((resolve, reject) => {
    lines.once("line", (line) => {
      const m = /^LISTENING (\d+)$/.exec(line);
      m ? resolve(Number(m[1])) : reject(new Error(`unexpected first line: ${line}`));
    });
    exited.then((code) => reject(new Error(`exited with ${code} before listening`)));
  });
}

// Relays a child's check lines under `run/`, and counts them.
async function relay(run, proc) {
  let summary = false;
  proc.lines.on("line", (line) => {
    let m;
    if ((m = /^(not ok|ok) (.*)$/.exec(line))) {
      m[1] === "ok" ? passed++ : failed++;
      console.log(`${m[1]} ${run}/${m[2]}`);
    } else if (/^\d+ passed, \d+ failed$/.test(line)) {
      summary = true;
    } else {
      console.log(`# ${run}: ${line}`);
    }
  });
  const timer = setTimeout(() => proc.child.kill(), 180_000);
  const code = await proc.exited;
  clearTimeout(timer);
  await new Promise((resolve) => setImmediate(resolve));
  if (!summary || (code !== 0 && code !== 1)) {
    failed++;
    console.log(`not ok ${run}: exited with ${code}${summary ? "" : " without a summary"}`);
  }
}

const server = start("server.mjs", "0");
try {
  const port = await listening(server);
  await relay("ws", start("battery.mjs", `ws://127.0.0.1:${port}/rpc`));
  await relay("batch", start("battery.mjs", `http://127.0.0.1:${port}/rpc`, "--batch"));
} finally {
  server.child.kill();
}

const reverse = start("reverse.mjs", "0");
const port = await listening(reverse);
const client = start("client-exposing.mjs", `ws://127.0.0.1:${port}/rpc`);
await relay("reverse", reverse);
const clientCode = await client.exited;
if (clientCode === 0) passed++, console.log("ok reverse/client-exits-cleanly");
else failed++, console.log(`not ok reverse/client-exits-cleanly: exited with ${clientCode}`);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
